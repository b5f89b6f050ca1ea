import Hummingbird
import ProxyEngine

extension RequestOutcome {
    /// Ends a request whose handling threw `error`, and says what its client gets: a
    /// `GatewayError` its answer in `format` (counted as a rejection in `rejections` when it is
    /// the caller's doing), a client that hung up 499. Anything else (the client gone while its
    /// answer was written) is thrown on, for Hummingbird to close the connection.
    mutating func end(after error: any Error, format: APIFormat, rejections metrics: GatewayMetrics? = nil) async throws -> Response {
        switch error {
        case let error as GatewayError:
            if error.status < 500 { metrics?.rejected(reason: error.openAICode) }
            await self.end(status: error.status, cause: RequestLifecycle.Cause(errorStatus: error.status))
            return .error(error, format: format)
        case is ClientHungUp:
            // Nobody is left to read an answer; 499 is the de facto "client closed request".
            await self.end(status: 499, cause: .clientLeft)
            return Response(status: .init(code: 499))
        default:
            await self.end(status: 499, cause: .clientLeft)
            throw error
        }
    }
}
