import ProxyEngine

/// Who is calling, once their credential checked out.
struct Principal: Sendable {
    var user: String
    var tier: String
    /// What `TokenLimiter` counts against: one virtual key, or one session token.
    var credentialID: String
    /// The virtual key used, if it was one.
    var key: VirtualKey?

    /// Whether this caller may ask for `model` (a key may be limited to some models).
    func allows(model: String) -> Bool { self.key?.allows(model: model) ?? true }
}
