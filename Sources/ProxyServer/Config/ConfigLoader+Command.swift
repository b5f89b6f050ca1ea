import ArgumentParser
import Foundation
import ProxyConfig
import ProxyEngine

extension ConfigLoader {
    /// The configuration a command runs on, or a message naming the file and key on standard
    /// error and exit status 1.
    static func loadForCommand(_ explicitPath: String?) throws -> (config: GatewayConfig, path: String) {
        let environment = ProcessInfo.processInfo.environment
        let path = self.resolvePath(explicitPath, environment: environment)
        do {
            return (try self.load(path: path, environment: environment), path)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
