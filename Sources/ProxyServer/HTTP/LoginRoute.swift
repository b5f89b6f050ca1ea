import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ProxyEngine

/// `POST /auth/login`: `{"username","password"}` → `{"token","expires_in","token_type":"Bearer"}`.
struct LoginRoute: Sendable {
    let gateway: Gateway

    private struct Credentials: Decodable {
        var username: String
        var password: String
    }

    /// A username and a password fit in far less; an unauthenticated caller gets no more buffer.
    static let maximumBodyBytes = 4096

    /// Checked when the username is unknown, so that a wrong name costs as long as a wrong password.
    private static let decoyHash = (try? PasswordHash.make(password: UUID().uuidString)) ?? ""

    func handle(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        do {
            let body = try await self.gateway.collectBody(of: &request, limit: Self.maximumBodyBytes)
            guard let credentials = try? JSONDecoder().decode(Credentials.self, from: Data(body.readableBytesView)) else {
                throw GatewayError.badRequest("The body must be {\"username\": ..., \"password\": ...}.")
            }
            guard let signer = self.gateway.authenticator.signer else {
                throw GatewayError.notFound("Logins are not enabled: auth.jwt_secret is not set.")
            }
            let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
            let attempt: LoginLimiter.Attempt
            do {
                attempt = try await self.gateway.loginLimiter.begin(username: credentials.username, address: address)
            } catch {
                self.gateway.metrics.rejected(reason: "login_throttled")
                throw GatewayError.rateLimited("Too many login attempts; try again later.", retryAfterSeconds: error.retryAfterSeconds)
            }
            let user = self.gateway.authenticator.users[credentials.username]
            let valid: Bool
            do {
                valid = try await Self.verify(credentials.password, for: user)
            } catch {
                await self.gateway.loginLimiter.failed(attempt)
                throw error
            }
            guard valid, let user else {
                await self.gateway.loginLimiter.failed(attempt)
                self.gateway.metrics.rejected(reason: "login_failed")
                context.logger.info("login failed", metadata: ["user": "\(UsageRecord.capped(credentials.username))"])
                throw GatewayError.unauthorized("Invalid username or password.")
            }
            await self.gateway.loginLimiter.succeeded(attempt)
            if user.disabled { throw GatewayError.forbidden("The user is disabled.") }
            let now = self.gateway.now()
            let ttl = self.gateway.config.auth.tokenTTLSeconds
            let token: String
            let expiresIn: Int
            if let cached = await self.gateway.loginLimiter.cachedToken(for: user.username),
                let claims = try? signer.verify(cached, now: Int(now))
            {
                token = cached
                expiresIn = claims.exp - Int(now)
            } else {
                let claims = SessionClaims(sub: user.username, tier: user.tier, iat: Int(now), exp: Int(now) + ttl, jti: UUID().uuidString)
                token = signer.sign(claims)
                expiresIn = ttl
                await self.gateway.loginLimiter.issued(token, to: user.username, expiresAt: Double(claims.exp))
            }
            var json = JSONWriter()
            json.append(#"{"token":"#)
            json.appendString(token)
            json.append(#","expires_in":"#)
            json.appendInt(expiresIn)
            json.append(#","token_type":"Bearer"}"#)
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: json.buffer))
        } catch let error as GatewayError {
            return .error(error, format: .openAI)
        }
    }

    /// scrypt takes tens of milliseconds: it runs on NIO's blocking pool, not on an event loop.
    private static func verify(_ password: String, for user: AuthUser?) async throws -> Bool {
        if let user, user.passwordHash == nil, let plaintext = user.password {
            return ConstantTime.equal(Array(password.utf8), Array(plaintext.utf8))
        }
        let hash = user?.passwordHash ?? Self.decoyHash
        let valid = try await NIOThreadPool.singleton.runIfActive {
            PasswordHash.verify(password: password, against: hash)
        }
        return valid && user != nil
    }
}
