import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import ProxyEngine

/// One JSON object per log line on stdout (`[logging] format = "json"`), for log shippers.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

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
        for (key, value) in self.lineMetadata(for: event) {
            json.append(",")
            json.appendString(key)
            json.append(":")
            json.appendString(value.description)
        }
        json.append("}\n")
        LogLineOutput.write(Data(buffer: json.buffer))
    }
}
