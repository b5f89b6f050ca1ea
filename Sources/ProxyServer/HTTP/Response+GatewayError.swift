import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine

extension Response {
    /// The one place a `GatewayError` becomes an HTTP response, in the caller's API format.
    static func error(_ error: GatewayError, format: APIFormat) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = error.retryAfterSeconds {
            headers[.retryAfter] = String(retryAfter)
        }
        return Response(
            status: HTTPResponse.Status(code: error.status),
            headers: headers,
            body: .init(byteBuffer: format.errorBody(error))
        )
    }
}

extension GatewayError {
    /// For errors Hummingbird raised itself (an unknown route, a refused method).
    init(status: HTTPResponse.Status, message: String) {
        switch status.code {
        case 404: self = .notFound(message)
        case 413: self = .payloadTooLarge(limit: 0)
        case 400..<500: self = .badRequest(message)
        default: self = .internalError(message)
        }
    }
}
