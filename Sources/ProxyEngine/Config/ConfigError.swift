/// A configuration that cannot run, with the key and the file it came from.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the offending key, e.g. `providers[0].timeout_seconds`.
    public let key: String
    public let message: String
    public var file: String?

    public init(key: String, _ message: String, file: String? = nil) {
        self.key = key
        self.message = message
        self.file = file
    }

    public var description: String {
        let location = self.file.map { "\($0): " } ?? ""
        return self.key.isEmpty ? "\(location)\(self.message)" : "\(location)\(self.key): \(self.message)"
    }
}
