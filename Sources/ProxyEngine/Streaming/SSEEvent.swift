import NIOCore

/// The fields of one Server-Sent Event, decoded only where a path must look inside it.
public struct SSEEvent: Sendable, Equatable {
    public var event: String?
    /// The `data` lines joined with LF, as the WHATWG rule says.
    public var data: String
    public var hasData: Bool

    public init(event: String? = nil, data: String) {
        self.event = event
        self.data = data
        self.hasData = true
    }

    /// Decodes one whole event as `SSEFramer` hands it out. Comments and unknown fields are skipped.
    public init(parsing raw: ByteBuffer) {
        self.event = nil
        self.data = ""
        self.hasData = false
        let text = String(buffer: raw)
        var dataLines: [Substring] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            if line.first == ":" { continue }
            let field: Substring
            var value: Substring
            if let colon = line.firstIndex(of: ":") {
                field = line[..<colon]
                value = line[line.index(after: colon)...]
                if value.first == " " { value = value.dropFirst() }
            } else {
                field = line
                value = ""
            }
            switch field {
            case "event": self.event = String(value)
            case "data": dataLines.append(value)
            default: continue
            }
        }
        if !dataLines.isEmpty {
            self.hasData = true
            self.data = dataLines.joined(separator: "\n")
        }
    }
}
