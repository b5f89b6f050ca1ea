import Foundation

/// Prints `listening on HOST:PORT` unbuffered: scripts that start the server on port 0 wait for it.
func announceListening(host: String, port: Int) {
    FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
}
