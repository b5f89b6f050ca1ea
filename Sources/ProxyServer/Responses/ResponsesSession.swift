import Logging
import NIOCore
import ProxyEngine

/// The stored-responses side of one Responses request on a route where the gateway keeps them
/// (every upstream but a native `openai` one, which keeps its own): the conversation a
/// `previous_response_id` continues, resolved before any limit counts the request, and the
/// keeping of the answer (`store`, true unless the client says false).
struct ResponsesSession: Sendable {
    let store: any StateStore
    let user: String
    /// The whole conversation's input items, this request's last.
    let input: [JSONValue]
    let retentionSeconds: Double
    let now: @Sendable () -> Double
    let logger: Logger

    /// The body to plan the request with (the conversation made whole, when it continues a
    /// stored response), and the session that keeps its answer (nil with `store: false`).
    static func prepare(body: ByteBuffer, user: String, gateway: Gateway, logger: Logger) async throws(GatewayError) -> (
        ByteBuffer, ResponsesSession?
    ) {
        guard let request = JSONValue(parsing: body) else { throw .badRequest("The request body is not valid JSON.") }
        var continued = request
        var history: [JSONValue] = []
        if let previous = request["previous_response_id"]?.stringValue {
            let stored: StoredResponse?
            do {
                stored = try await gateway.store.storedResponse(id: previous, user: user, now: gateway.now())
            } catch {
                throw .storeUnavailable("The state store is unreachable; a stored response cannot be continued until it returns.")
            }
            // Another user's id is as unknown as an expired one.
            guard let stored else { throw .previousResponseNotFound(previous) }
            history = stored.history
            continued = ResponsesInput.continuing(request, from: history)
        }
        let session =
            request["store"] == .bool(false)
            ? nil
            : ResponsesSession(
                store: gateway.store, user: user, input: history + ResponsesInput.items(of: request),
                retentionSeconds: Double(gateway.config.responses.retentionDays) * 86_400, now: gateway.now, logger: logger)
        return (continued == request ? body : continued.encoded, session)
    }

    /// Keeps the answer; a failure is logged, not the client's: its answer is already out.
    func keep(_ response: JSONValue) async {
        guard
            let stored = StoredResponse(
                response: response, input: self.input, user: self.user, now: self.now(), retentionSeconds: self.retentionSeconds)
        else {
            self.logger.warning("a response too large to store was not kept")
            return
        }
        do {
            try await self.store.save(stored)
        } catch {
            self.logger.warning("storing a response failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
