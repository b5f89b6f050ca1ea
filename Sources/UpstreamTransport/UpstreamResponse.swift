import NIOCore
import NIOHTTP1

/// An upstream answer at its head: status and headers now, the body as it arrives.
public struct UpstreamResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    /// Read at most once, in the caller's task; dropping it unread closes the connection.
    public var body: UpstreamBody

    public init(status: HTTPResponseStatus, headers: HTTPHeaders, body: UpstreamBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
