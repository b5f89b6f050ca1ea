import ArgumentParser
import Foundation
import ProxyEngine

struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Read a password on standard input and print a hash for auth.users[].password_hash."
    )

    func run() throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            FileHandle.standardError.write(Data("error: no password on standard input\n".utf8))
            throw ExitCode(1)
        }
        print(try PasswordHash.make(password: line))
    }
}
