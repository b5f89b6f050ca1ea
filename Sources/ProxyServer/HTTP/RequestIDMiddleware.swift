import HTTPTypes
import Hummingbird
import Logging
import ProxyEngine
import Synchronization

/// Gives every request an ID: the client's `x-request-id` when it is a sane token, else a new
/// one. It is on the response and in every log line of the request. An error nothing else
/// rendered becomes an OpenAI-style JSON error here, so no request ends without a JSON body.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let generator = RequestIDGenerator()
    let accessLog: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[.xRequestID].flatMap(Self.acceptable) ?? self.generator.next()
        context.requestID = id
        // One assignment: a log handler may re-render its metadata on every change.
        context.logger.handler.metadata = ["request_id": .string(id)]
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as GatewayError {
            response = .error(error, format: .openAI)
        } catch let error as any HTTPResponseError {
            let message =
                error.status == .notFound ? "No route for \(request.method) \(request.uri.path)." : "\(error.status.reasonPhrase)."
            response = .error(.init(status: error.status, message: message), format: .openAI)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            response = .error(.internalError("Internal error."), format: .openAI)
        }
        response.headers[.xRequestID] = id
        if self.accessLog {
            context.logger.info(
                "request",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)"]
            )
        }
        return response
    }

    /// Up to 128 characters of letters, digits and `-_.:`: nothing that could forge a log line.
    static func acceptable(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128 else { return nil }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
        return allowed ? value : nil
    }
}

/// Request IDs: a random per-process prefix and a counter, so making one costs no randomness.
final class RequestIDGenerator: Sendable {
    private let prefix: String
    /// A hot counter touched by every request: a `Mutex`, not an actor hop.
    private let counter = Mutex<UInt64>(0)

    init() {
        var generator = SystemRandomNumberGenerator()
        self.prefix = "req_" + String(generator.next() as UInt64, radix: 36)
    }

    func next() -> String {
        let value = self.counter.withLock { counter in
            counter &+= 1
            return counter
        }
        return "\(self.prefix)_\(String(value, radix: 36))"
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("x-request-id")!
    static let retryAfter = Self("retry-after")!
    static let xAPIKey = Self("x-api-key")!
    static let xGoogAPIKey = Self("x-goog-api-key")!
    /// Keeps a conversation on one upstream account (sticky selection).
    static let xSessionID = Self("x-session-id")!
    /// A whole answer's price in dollars.
    static let xGatewayCostUSD = Self("x-gateway-cost-usd")!
    /// The output limit the gateway set upstream, to what the caller's quota or budget pays for.
    static let xGatewayMaxTokens = Self("x-gateway-max-tokens")!
}
