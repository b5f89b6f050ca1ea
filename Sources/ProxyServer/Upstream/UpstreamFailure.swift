import Logging
import NIOCore
import ProxyEngine
import UpstreamTransport

/// What a failed upstream call means to the client: the mapping of transport errors to 502/504.
enum UpstreamFailure {
    static func classify(_ error: any Error, timeoutSeconds: Double, logger: Logger) -> GatewayError {
        if let error = error as? GatewayError { return error }
        if error is DeadlineExceeded { return .upstreamTimeout(seconds: timeoutSeconds) }
        if let error = error as? OAuthRefreshFailed {
            logger.error(
                "OAuth refresh failed; account out of rotation", metadata: ["account": "\(error.account)", "reason": "\(error.reason)"])
            return .upstreamFailed("The upstream account's OAuth token could not be refreshed.")
        }
        if let error = error as? UpstreamTransportError {
            switch error {
            case .connectTimeout, .poolTimeout:
                logger.warning("upstream connect timeout", metadata: ["reason": "\(error)"])
                return .upstreamFailed("The upstream could not be reached (connect timeout).")
            case .bodyTooLarge:
                return .upstreamFailed("The upstream answer is larger than the gateway accepts.")
            case .closedMidBody:
                logger.warning("upstream closed the connection mid-answer")
                return .upstreamFailed("The upstream connection closed in the middle of the answer.")
            default:
                break
            }
        }
        if error is SSEEventBatches<UpstreamBody>.Truncated {
            logger.warning("upstream stream ended mid-event")
            return .upstreamFailed("The upstream stream ended in the middle of an event.")
        }
        if error is SSEFramer.EventTooLarge {
            return .upstreamFailed("The upstream sent an event larger than the gateway accepts.")
        }
        // The error's own text can quote a URL or header; log only its type.
        logger.warning("upstream failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        return .upstreamFailed("The upstream connection failed.")
    }
}
