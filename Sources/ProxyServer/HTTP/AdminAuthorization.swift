import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine
import Synchronization

/// The one check every `/admin/` route makes: `Authorization: Bearer <auth.admin_key>`,
/// compared in constant time; the whole admin API is off while the key is empty.
enum AdminAuthorization {
    static func check(_ headers: HTTPFields, adminKey: String) throws(GatewayError) {
        guard !adminKey.isEmpty else { throw .forbidden("The admin API is off: auth.admin_key is not set.") }
        guard let credential = Authenticator.credential(in: headers), ConstantTime.equal(Array(credential.utf8), Array(adminKey.utf8))
        else {
            throw .unauthorized("The admin API needs 'Authorization: Bearer <admin_key>'.")
        }
    }
}

/// Runs `AdminAuthorization` before every route of the `/admin` group, so no admin handler can
/// forget it; a refusal is an OpenAI-style error, like the rest of the admin API's. An address
/// that keeps presenting wrong keys is refused for a while before its key is even compared, so
/// the admin key cannot be guessed at line rate.
struct AdminAuthorizationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    /// Read per request: a reload may change it.
    let adminKey: @Sendable () -> String
    let throttle: AdminThrottle

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if let wait = self.throttle.wait(for: address) {
            return .error(.rateLimited("Too many failed admin attempts; try again later.", retryAfterSeconds: wait), format: .openAI)
        }
        do {
            try AdminAuthorization.check(request.headers, adminKey: self.adminKey())
        } catch {
            if error.status == 401 { self.throttle.failed(address) }
            return .error(error, format: .openAI)
        }
        return try await next(request, context)
    }
}

/// Failed admin attempts per client address: `maximumFailures` within `windowSeconds`, then
/// refused until the oldest leaves the window. A `Mutex`, not an actor: it is two map
/// operations, and the admin API is not a hot path.
final class AdminThrottle: Sendable {
    let maximumFailures: Int
    let windowSeconds: Double
    private let now: @Sendable () -> Double
    private let failures: Mutex<BoundedMap<[Double]>>

    init(maximumFailures: Int = 10, windowSeconds: Double = 60, now: @escaping @Sendable () -> Double) {
        self.maximumFailures = maximumFailures
        self.windowSeconds = windowSeconds
        self.now = now
        self.failures = Mutex(BoundedMap(capacity: 10_000, maximumAge: windowSeconds))
    }

    /// Seconds `address` must wait, or nil when it may try.
    func wait(for address: String) -> Int? {
        let now = self.now()
        return self.failures.withLock { failures -> Int? in
            let recent = (failures.value(address, now: now) ?? []).filter { now - $0 < self.windowSeconds }
            guard recent.count >= self.maximumFailures, let oldest = recent.first else { return nil }
            return max(1, Int((self.windowSeconds - (now - oldest)).rounded(.up)))
        }
    }

    func failed(_ address: String) {
        let now = self.now()
        self.failures.withLock { failures in
            failures.update(address, now: now, initial: []) { times in
                times.append(now)
                if times.count > self.maximumFailures { times.removeFirst(times.count - self.maximumFailures) }
            }
        }
    }
}
