/// How the mock answers: the process-wide flags, overridable per request by `x-mock-*` headers.
public struct MockUpstreamBehaviour: Sendable {
    public enum Fault: String, Sendable, CaseIterable {
        /// Answer 500 with an OpenAI-style error body.
        case error500 = "500"
        /// Answer 429 with `retry-after: 1`.
        case error429 = "429"
        /// Close the connection half-way through a stream (or before a whole answer).
        case reset
        /// Never answer: hold the request until the client goes away.
        case stall
        /// Send the first event of a stream, then nothing, until the client goes away.
        case stallStream = "stall-stream"
        /// Answer 401 quoting the key it was sent, as real providers do ("Incorrect API key...").
        case error401Echo = "401-echo"
        /// Answer 200, whole or streamed, quoting the key it was sent (see `MockKeyEcho`).
        case echoKey = "echo-key"
        /// Answer 200 with a head and part of a whole body, then close the connection; a stream
        /// breaks half-way, as with `reset`.
        case dropBody = "drop-body"
        /// Answer 200 with a body that is neither JSON nor an event stream.
        case malformed
    }

    public var latencyMilliseconds = 0
    public var chunks = 8
    public var chunkDelayMilliseconds = 0
    /// Share of requests, 0...1, that get a fault from `faults`.
    public var failRate = 0.0
    public var faults: [Fault] = [.error500]
    /// Per-account fault profiles: every request sent with this key (its bearer token) gets
    /// this fault.
    public var faultsByKey: [String: Fault] = [:]
    /// How long the OAuth token endpoint takes to answer.
    public var oauthLatencyMilliseconds = 0
    /// Each refresh token works once, as a provider that rotates them does: a second use is
    /// refused (`invalid_grant`).
    public var oauthSingleUseRefreshTokens = false
    /// The `expires_in` of issued access tokens (below the gateway's refresh margin, every
    /// request refreshes).
    public var oauthExpiresInSeconds = 3600

    public init(
        latencyMilliseconds: Int = 0, chunks: Int = 8, chunkDelayMilliseconds: Int = 0, failRate: Double = 0, faults: [Fault] = [.error500],
        faultsByKey: [String: Fault] = [:], oauthLatencyMilliseconds: Int = 0
    ) {
        self.faultsByKey = faultsByKey
        self.oauthLatencyMilliseconds = oauthLatencyMilliseconds
        self.latencyMilliseconds = latencyMilliseconds
        self.chunks = chunks
        self.chunkDelayMilliseconds = chunkDelayMilliseconds
        self.failRate = failRate
        self.faults = faults
    }
}
