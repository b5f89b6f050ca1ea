/// Why an upstream call failed in the transport (before any HTTP status could say so).
public struct UpstreamTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case connectTimeout
        case connectionClosed
        case closedMidBody
        case staleConnection
        case poolTimeout
        case shutDown
        case bodyTooLarge
    }

    private let code: Code

    /// No connection could be made within the connect timeout.
    public static let connectTimeout = Self(code: .connectTimeout)
    /// The upstream closed the connection before its answer's head.
    public static let connectionClosed = Self(code: .connectionClosed)
    /// The upstream closed the connection in the middle of an answer's body.
    public static let closedMidBody = Self(code: .closedMidBody)
    /// A pooled connection was found closed before any byte of the request was written: safe to
    /// send again on another connection (the transport does so once).
    public static let staleConnection = Self(code: .staleConnection)
    /// Every connection the host may have was busy for the whole connect timeout.
    public static let poolTimeout = Self(code: .poolTimeout)
    /// The transport is shut down.
    public static let shutDown = Self(code: .shutDown)
    /// A body collected with `collect(upTo:)` was larger than its bound.
    public static let bodyTooLarge = Self(code: .bodyTooLarge)

    public var description: String {
        switch self.code {
        case .connectTimeout: "connect timeout"
        case .connectionClosed: "the upstream closed the connection before answering"
        case .closedMidBody: "the upstream closed the connection in the middle of the answer"
        case .staleConnection: "a pooled connection was closed before the request was written"
        case .poolTimeout: "no upstream connection became free within the connect timeout"
        case .shutDown: "the upstream transport is shut down"
        case .bodyTooLarge: "the upstream answer is larger than allowed"
        }
    }
}
