import NIOCore

/// Finds the event that ends a stream in a batch of whole events: OpenAI's `data: [DONE]` and
/// Anthropic's `message_stop`, each as a whole line of the event, never as text inside one (a
/// model may echo "data: [DONE]" in its content, or a client put it in the model's name).
public enum StreamEndMarker {
    private static let done = Array("[DONE]".utf8)
    /// Gemini's stream has no end event: its last event is the one with a finish reason.
    private static let finishReason = Array(#""finishReason""#.utf8)
    private static let messageStop = Array("message_stop".utf8)
    private static let messageStopData = Array(#"{"type":"message_stop""#.utf8)
    /// The Responses stream's three ends, as event names and as `data:` prefixes.
    private static let responseEnds = ["response.completed", "response.incomplete", "response.failed"].map { Array($0.utf8) }
    private static let responseEndData = Self.responseEnds.map { Array(#"{"type":""#.utf8) + $0 + [UInt8(ascii: "\"")] }

    /// Whether `batch` (whole events, as `SSEFramer` hands them out) holds the end-of-stream event.
    public static func isIn(_ batch: ByteBuffer, format: APIFormat) -> Bool {
        batch.withUnsafeReadableBytes { bytes in
            // The cheap test first: most batches hold neither word anywhere. (No array of the
            // words is built for it: that was an allocation per relayed event.)
            let mayEnd =
                switch format {
                case .openAI: ByteSearch.firstRange(of: Self.done, in: bytes) != nil
                case .anthropic: ByteSearch.firstRange(of: Self.messageStop, in: bytes) != nil
                case .responses: Self.responseEnds.contains { ByteSearch.firstRange(of: $0, in: bytes) != nil }
                case .gemini: ByteSearch.firstRange(of: Self.finishReason, in: bytes) != nil
                }
            guard mayEnd else { return false }
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
                if Self.isEndLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), format: format) { return true }
                start = end + 1
            }
            return false
        }
    }

    /// `data: [DONE]`, or `event: message_stop` / `data: {"type":"message_stop"...`; the space
    /// after the colon is optional, as the SSE rule says.
    static func isEndLine(_ line: UnsafeRawBufferPointer, format: APIFormat) -> Bool {
        switch format {
        case .openAI:
            guard let value = Self.value(of: "data", in: line) else { return false }
            return Self.trimmingTrailingSpaces(value).elementsEqual(Self.done)
        case .anthropic:
            if let value = Self.value(of: "event", in: line) {
                return Self.trimmingTrailingSpaces(value).elementsEqual(Self.messageStop)
            }
            guard let value = Self.value(of: "data", in: line) else { return false }
            return value.starts(with: Self.messageStopData)
        case .responses:
            if let value = Self.value(of: "event", in: line) {
                let name = Self.trimmingTrailingSpaces(value)
                return Self.responseEnds.contains { name.elementsEqual($0) }
            }
            guard let value = Self.value(of: "data", in: line) else { return false }
            return Self.responseEndData.contains { value.starts(with: $0) }
        case .gemini:
            // The key quoted (so never text inside a string, where its quotes would be escaped),
            // then read as the event's JSON: a function call's arguments may hold the same key.
            guard let value = Self.value(of: "data", in: line) else { return false }
            let json = UnsafeRawBufferPointer(rebasing: value)
            return ByteSearch.firstRange(of: Self.finishReason, in: json) != nil && Self.givesACandidateAFinishReason(json)
        }
    }

    /// Whether a Gemini event ends a candidate: `candidates[i].finishReason` is a reason. Built
    /// as values only for the rare event that holds the key, the last one.
    private static func givesACandidateAFinishReason(_ json: UnsafeRawBufferPointer) -> Bool {
        guard let candidates = JSONScanner.value(parsing: json)?["candidates"]?.arrayValue else { return false }
        return candidates.contains { candidate in
            guard let reason = candidate["finishReason"]?.stringValue else { return false }
            return !reason.isEmpty && reason != "FINISH_REASON_UNSPECIFIED"
        }
    }

    /// The value of a `field:` line (after one optional space), or nil for another field.
    private static func value(of field: StaticString, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence? {
        let name = UnsafeRawBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
        guard line.count > name.count, line.starts(with: name), line[name.count] == UInt8(ascii: ":") else { return nil }
        var value = line[(name.count + 1)...]
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        return value
    }

    private static func trimmingTrailingSpaces(_ value: UnsafeRawBufferPointer.SubSequence) -> UnsafeRawBufferPointer.SubSequence {
        var value = value
        while value.last == UInt8(ascii: " ") || value.last == UInt8(ascii: "\t") { value = value.dropLast() }
        return value
    }
}
