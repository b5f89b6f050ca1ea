import Foundation
import Logging
import Synchronization

/// What the gateway's two log handlers (`TextLogHandler`, `JSONLogHandler`) share: the metadata a
/// line carries, and one writer of whole lines to stdout.
enum LogLineOutput {
    /// Serialises whole lines onto stdout, so lines from concurrent requests never interleave.
    private static let output = Mutex(())

    static func write(_ line: Data) {
        Self.output.withLock { _ in
            FileHandle.standardOutput.write(line)
        }
    }
}

extension LogHandler {
    /// The handler's metadata, then its provider's, then the event's own, later keys winning,
    /// sorted by key so lines are stable.
    func lineMetadata(for event: LogEvent) -> [(key: String, value: Logger.MetadataValue)] {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        return merged.sorted { $0.key < $1.key }
    }
}
