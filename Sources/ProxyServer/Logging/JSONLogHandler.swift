import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import ProxyEngine
import Synchronization

/// One JSON object per log line on stdout (`[logging] format = "json"`), for log shippers.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Serialises whole lines onto stdout, so lines from concurrent requests never interleave.
    private static let output = Mutex(())

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var json = JSONWriter(capacity: 256)
        json.append(#"{"ts":"#)
        json.appendString(Date.now.formatted(.iso8601))
        json.append(#","level":"#)
        json.appendString(event.level.rawValue)
        json.append(#","msg":"#)
        json.appendString(event.message.description)
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            json.append(",")
            json.appendString(key)
            json.append(":")
            json.appendString(value.description)
        }
        json.append("}\n")
        let line = Data(buffer: json.buffer)
        Self.output.withLock { _ in
            FileHandle.standardOutput.write(line)
        }
    }
}
