/// An error a client of the gateway sees.
///
/// One public struct wrapping a private code (as `HTTPClientError` does), so adding a case never
/// breaks callers. The status code, the OpenAI error type and the Anthropic error type of every
/// case are decided here and nowhere else.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        case badRequest
        case unauthorized
        case quotaExhausted
        case budgetExceeded
        case forbidden
        case notFound
        case unknownModel
        case queueTimeout
        case payloadTooLarge
        case rateLimited
        case upstreamFailed
        case noHealthyAccount
        case storeUnavailable
        case upstreamTimeout
        case notImplemented
        case internalError
        case previousResponseNotFound
    }

    let code: Code
    /// Safe to show to the client: never contains a credential or an upstream key.
    public let message: String
    /// Seconds for a `Retry-After` header, where the error invites a retry.
    public let retryAfterSeconds: Int?

    init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(self.status) \(self.message)" }

    public static func badRequest(_ message: String) -> GatewayError { .init(.badRequest, message) }
    public static func unauthorized(_ message: String) -> GatewayError { .init(.unauthorized, message) }
    public static func quotaExhausted(_ message: String) -> GatewayError { .init(.quotaExhausted, message) }
    /// A dollar budget (`monthly_usd`) cannot pay for the request: what remains is in the message.
    public static func budgetExceeded(limit: Int, remaining: Int, resets: String) -> GatewayError {
        .init(
            .budgetExceeded,
            "The monthly budget of $\(Microdollars.dollars(limit)) cannot pay for this request: $\(Microdollars.dollars(max(0, remaining))) remains; it resets on \(resets)."
        )
    }
    /// A stream ran past the output its budget or quota reserved for it, and was cut there.
    public static func budgetCut(outputTokens: Int) -> GatewayError {
        .init(
            .budgetExceeded,
            "The answer was cut at \(outputTokens) output token(s): the upstream went past the limit the monthly budget or quota could pay for."
        )
    }
    public var isBudgetExceeded: Bool { self.code == .budgetExceeded }
    public static func forbidden(_ message: String) -> GatewayError { .init(.forbidden, message) }
    public static func notFound(_ message: String) -> GatewayError { .init(.notFound, message) }
    public static func unknownModel(_ model: String) -> GatewayError {
        .init(.unknownModel, "The model '\(UsageRecord.capped(model))' does not exist or is not served by this gateway.")
    }
    public static func modelNotAllowed(_ model: String) -> GatewayError {
        .init(.forbidden, "This API key may not use the model '\(UsageRecord.capped(model))'.")
    }
    public static func queueTimeout(_ message: String) -> GatewayError { .init(.queueTimeout, message) }
    public static func payloadTooLarge(limit: Int) -> GatewayError {
        .init(.payloadTooLarge, "Request body is larger than the limit of \(limit) bytes.")
    }
    public static func rateLimited(_ message: String, retryAfterSeconds: Int) -> GatewayError {
        .init(.rateLimited, message, retryAfterSeconds: retryAfterSeconds)
    }
    /// The refusals of the limits, written once whichever instance or store decides them.
    public static func concurrencyFull(limit: Int) -> GatewayError {
        .rateLimited("This credential already has \(limit) request(s) in flight.", retryAfterSeconds: 1)
    }
    public static func requestsPerMinuteReached(retryAfterSeconds: Int) -> GatewayError {
        .rateLimited("The requests-per-minute limit of your tier is reached.", retryAfterSeconds: max(1, retryAfterSeconds))
    }
    public static func tokensPerMinuteReached(retryAfterSeconds: Int) -> GatewayError {
        .rateLimited("The tokens-per-minute limit of your tier is reached.", retryAfterSeconds: max(1, retryAfterSeconds))
    }
    public static func upstreamFailed(_ message: String) -> GatewayError { .init(.upstreamFailed, message) }
    public static func noHealthyAccount(_ message: String) -> GatewayError {
        .init(.noHealthyAccount, message, retryAfterSeconds: 1)
    }
    /// The state store is away and the request needs it (a change to keys, which every instance
    /// must see).
    public static func storeUnavailable(_ message: String) -> GatewayError {
        .init(.storeUnavailable, message, retryAfterSeconds: 5)
    }
    public static func upstreamTimeout(seconds: Double) -> GatewayError {
        .init(.upstreamTimeout, "The upstream did not complete within \(formatSeconds(seconds)) s.")
    }
    public static func upstreamFirstByteTimeout(seconds: Double, attempts: Int) -> GatewayError {
        .init(.upstreamTimeout, "No upstream account started answering within \(formatSeconds(seconds)) s (\(attempts) attempt(s)).")
    }
    public static func notImplemented(_ message: String) -> GatewayError { .init(.notImplemented, message) }
    /// A Responses request continues a response this gateway does not hold (unknown, expired,
    /// or on a route where none are kept).
    public static func previousResponseNotFound(_ id: String) -> GatewayError {
        .init(.previousResponseNotFound, "Previous response with id '\(UsageRecord.capped(id))' not found.")
    }
    public static func internalError(_ message: String) -> GatewayError { .init(.internalError, message) }

    /// The HTTP status of this error: the contract's status table, in one place.
    public var status: Int {
        switch self.code {
        case .badRequest, .previousResponseNotFound: 400
        case .unauthorized: 401
        case .quotaExhausted, .budgetExceeded: 402
        case .forbidden: 403
        case .notFound, .unknownModel: 404
        case .queueTimeout: 408
        case .payloadTooLarge: 413
        case .rateLimited: 429
        case .upstreamFailed: 502
        case .noHealthyAccount, .storeUnavailable: 503
        case .upstreamTimeout: 504
        case .notImplemented: 501
        case .internalError: 500
        }
    }

    /// `error.type` on OpenAI routes.
    public var openAIType: String {
        switch self.code {
        case .badRequest, .payloadTooLarge, .notFound, .unknownModel, .previousResponseNotFound: "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .forbidden: "permission_error"
        case .quotaExhausted, .budgetExceeded: "insufficient_quota"
        case .rateLimited: "rate_limit_error"
        case .queueTimeout, .upstreamTimeout: "timeout_error"
        case .upstreamFailed, .noHealthyAccount, .storeUnavailable, .notImplemented, .internalError: "server_error"
        }
    }

    /// `error.code` on OpenAI routes.
    public var openAICode: String {
        switch self.code {
        case .badRequest: "invalid_request"
        case .unauthorized: "invalid_api_key"
        case .quotaExhausted: "insufficient_quota"
        case .budgetExceeded: "budget_exceeded"
        case .forbidden: "permission_denied"
        case .notFound: "not_found"
        case .unknownModel: "model_not_found"
        case .queueTimeout: "queue_timeout"
        case .payloadTooLarge: "request_too_large"
        case .rateLimited: "rate_limit_exceeded"
        case .upstreamFailed: "upstream_error"
        case .noHealthyAccount: "no_healthy_account"
        case .storeUnavailable: "store_unavailable"
        case .upstreamTimeout: "upstream_timeout"
        case .notImplemented: "not_implemented"
        case .internalError: "internal_error"
        case .previousResponseNotFound: "previous_response_not_found"
        }
    }

    /// `error.type` on Anthropic routes (the types Anthropic's API documents).
    public var anthropicType: String {
        switch self.code {
        case .badRequest, .previousResponseNotFound: "invalid_request_error"
        case .unauthorized: "authentication_error"
        case .quotaExhausted, .budgetExceeded: "billing_error"
        case .forbidden: "permission_error"
        case .notFound, .unknownModel: "not_found_error"
        case .payloadTooLarge: "request_too_large"
        case .rateLimited: "rate_limit_error"
        case .queueTimeout, .upstreamTimeout: "timeout_error"
        case .noHealthyAccount, .storeUnavailable: "overloaded_error"
        case .upstreamFailed, .notImplemented, .internalError: "api_error"
        }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
}
