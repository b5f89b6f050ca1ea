import HTTPTypes
import Hummingbird
import NIOCore

/// CORS for web apps that call the gateway directly (`server.cors_origins`): Hummingbird's own
/// `CORSMiddleware`, applied only to requests from an allowed origin. A request from any other
/// origin gets no CORS header at all, so the browser keeps the answer from the page.
///
/// Allowed: what the SDKs send from a browser (the OpenAI SDK's `x-stainless-*` telemetry, the
/// Anthropic SDK's version, beta and direct-access headers). Credentials mode is never allowed:
/// callers present a key in a header, not a cookie.
struct GatewayCORS: RouterMiddleware {
    typealias Context = GatewayRequestContext

    private let allowedOrigins: Set<String>
    private let allowsAnyOrigin: Bool
    private let cors: CORSMiddleware<Context>

    static let allowedHeaders: [String] = [
        "authorization", "content-type", "accept", "x-api-key", "anthropic-version", "anthropic-beta",
        "anthropic-dangerous-direct-browser-access", "openai-beta", "x-session-id", "x-request-id",
        "x-stainless-arch", "x-stainless-async", "x-stainless-helper-method", "x-stainless-lang", "x-stainless-os",
        "x-stainless-package-version", "x-stainless-poll-helper", "x-stainless-retry-count", "x-stainless-runtime",
        "x-stainless-runtime-version", "x-stainless-timeout", "x-goog-api-key", "x-goog-api-client",
    ]

    /// What a page may read of an answer beyond the basic headers.
    static let exposedHeaders = ["x-request-id", "retry-after", "x-token-count", "openai-version", "anthropic-version"]

    /// Nil when `origins` is empty: no CORS at all.
    init?(origins: [String]) {
        guard !origins.isEmpty else { return nil }
        self.allowsAnyOrigin = origins.contains("*")
        self.allowedOrigins = Set(origins)
        self.cors = CORSMiddleware(
            allowOrigin: self.allowsAnyOrigin ? .all : .originBased,
            allowHeaders: Self.allowedHeaders.compactMap { HTTPField.Name($0) },
            allowMethods: [.get, .post, .patch, .delete, .options],
            allowCredentials: false,
            exposedHeaders: Self.exposedHeaders,
            maxAge: .seconds(600)
        )
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], self.allowsAnyOrigin || self.allowedOrigins.contains(origin) else {
            return try await next(request, context)
        }
        var response = try await self.cors.handle(request, context: context, next: next)
        // Browsers read `Access-Control-Expose-Headers` on the answer itself, not on the
        // preflight (where Hummingbird's middleware puts it).
        if request.method != .options {
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders.joined(separator: ", ")
        }
        // The answer depends on the Origin even under "*" (another origin gets none of it when
        // the list changes): caches must key on it.
        if !response.headers[values: .vary].contains(where: { $0.lowercased().contains("origin") }) {
            response.headers[values: .vary].append("Origin")
        }
        return response
    }
}
