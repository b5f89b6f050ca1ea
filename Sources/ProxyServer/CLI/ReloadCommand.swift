import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `proxy-server reload --pid-file PATH`: SIGHUP to the gateway whose `serve --pid-file PATH`
/// wrote that file, which re-reads its configuration.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Tell a running gateway to re-read its configuration file (SIGHUP).")

    @Option(name: .customLong("pid-file"), help: "The file `serve --pid-file` wrote.") var pidFile: String

    func run() throws {
        guard let text = try? String(contentsOfFile: self.pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
        else {
            throw ValidationError("no process id in \(self.pidFile): is the gateway running with --pid-file \(self.pidFile)?")
        }
        guard kill(pid, SIGHUP) == 0 else {
            throw ValidationError("cannot signal process \(pid) (from \(self.pidFile)): \(String(cString: strerror(errno)))")
        }
        print("sent SIGHUP to \(pid): the gateway logs whether the configuration was reloaded")
    }
}
