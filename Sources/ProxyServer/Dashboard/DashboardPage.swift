import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /dashboard`: the admin dashboard, one page with its script and style served by the
/// gateway itself (no CDN, nothing from another origin: it works offline and behind a
/// firewall). The page holds no data: it signs in with the admin key, which it keeps in
/// `sessionStorage` only, and reads the `/admin/*` API.
enum DashboardPage {
    /// Only this origin's script, style, and API; no inline code, no frames, no plugins.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func register(on router: Router<GatewayRequestContext>) {
        let html = ByteBuffer(string: DashboardAssets.html)
        let script = ByteBuffer(string: DashboardAssets.script)
        let style = ByteBuffer(string: DashboardAssets.style)
        router.get("/dashboard") { _, _ in Self.response(html, type: "text/html; charset=utf-8") }
        router.get("/dashboard/app.js") { _, _ in Self.response(script, type: "text/javascript; charset=utf-8") }
        router.get("/dashboard/app.css") { _, _ in Self.response(style, type: "text/css; charset=utf-8") }
    }

    private static func response(_ body: ByteBuffer, type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type,
                .cacheControl: "no-store",
                .contentSecurityPolicy: Self.contentSecurityPolicy,
                HTTPField.Name("x-content-type-options")!: "nosniff",
                HTTPField.Name("referrer-policy")!: "no-referrer",
                HTTPField.Name("x-frame-options")!: "DENY",
            ],
            body: .init(byteBuffer: body)
        )
    }
}
