import Foundation

/// A provider's API root from its configured `base_url`.
enum APIRoot {
    /// `https://api.deepseek.com` → `https://api.deepseek.com/v1`; a base URL that already has a
    /// path (`.../v1`, `.../api/paas/v4`, `.../v1beta/openai`) is the root as given.
    static func of(baseURL: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        guard let schemeEnd = base.range(of: "://") else { return base }
        let afterScheme = base[schemeEnd.upperBound...]
        return afterScheme.contains("/") ? base : base + "/v1"
    }
}
