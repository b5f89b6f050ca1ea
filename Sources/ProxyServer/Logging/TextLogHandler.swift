import Foundation
import Logging

/// Human-readable lines on stdout (`[logging] format = "text"`), laid out like swift-log's
/// `StreamLogHandler`: `TIME LEVEL LABEL : key=value ... [SOURCE] MESSAGE`.
///
/// Unlike `StreamLogHandler`, which re-renders its metadata on every change, metadata is only
/// rendered when a line is written: each request sets metadata, and most requests log nothing at
/// the configured level (measured: 3.5% of the gateway's CPU under load).
struct TextLogHandler: LogHandler {
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
        var line = Date.now.formatted(.iso8601) + " \(event.level) \(self.label) :"
        for (key, value) in self.lineMetadata(for: event) {
            line += " \(key)=\(value)"
        }
        line += " [\(event.source)] \(event.message)\n"
        LogLineOutput.write(Data(line.utf8))
    }
}
