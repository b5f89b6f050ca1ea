import HTTPTypes
import Hummingbird
import ProxyEngine

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
/// forget it; a refusal is an OpenAI-style error, like the rest of the admin API's.
struct AdminAuthorizationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let adminKey: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            try AdminAuthorization.check(request.headers, adminKey: self.adminKey)
        } catch {
            return .error(error, format: .openAI)
        }
        return try await next(request, context)
    }
}
