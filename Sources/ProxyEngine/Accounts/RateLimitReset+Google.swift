import NIOCore

extension RateLimitReset {
    /// Google's wait, which its 429s (`RESOURCE_EXHAUSTED`) carry in the body rather than in a
    /// header: `error.details[]`'s `google.rpc.RetryInfo` with `retryDelay` as a protobuf
    /// duration (`"37s"`, `"0.5s"`). Clamped as the headers' waits are; nil when there is none or
    /// the body is not a small JSON error.
    public static func seconds(fromGoogleErrorBody body: ByteBuffer) -> Double? {
        guard body.readableBytes <= 64 * 1024, let details = JSONValue(parsing: body)?["error"]?["details"]?.arrayValue else {
            return nil
        }
        for detail in details where detail["@type"]?.stringValue?.hasSuffix("google.rpc.RetryInfo") == true {
            guard let delay = detail["retryDelay"]?.stringValue, delay.hasSuffix("s"), let seconds = Double(delay.dropLast()),
                seconds.isFinite, seconds > 0
            else { continue }
            return min(seconds, Self.longestSeconds)
        }
        return nil
    }
}
