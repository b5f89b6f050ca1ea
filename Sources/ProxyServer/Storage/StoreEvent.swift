/// What one instance tells the others through the store.
enum StoreEvent: Sendable, Equatable {
    /// A virtual key was created, revoked, enabled or disabled (by its hash).
    case keyChanged(hash: String)
    /// Every cached key may be stale (the instance was not listening for a while).
    case allKeysStale
    /// An instance found a subject's month spent: the others give back their unused units.
    case quotaExhausted(subject: String)
    /// An upstream account was added to or removed from the store: every instance reloads.
    case accountsChanged
    /// An instance was refused a slot of this credential: the others give back their free ones.
    case slotsWanted(credential: String)

    var payload: String {
        switch self {
        case .keyChanged(let hash): "key:\(hash)"
        case .allKeysStale: "keys"
        case .quotaExhausted(let subject): "quota:\(subject)"
        case .accountsChanged: "accounts"
        case .slotsWanted(let credential): "slots:\(credential)"
        }
    }

    init?(payload: String) {
        if payload == "keys" {
            self = .allKeysStale
        } else if payload == "accounts" {
            self = .accountsChanged
        } else if payload.hasPrefix("key:") {
            self = .keyChanged(hash: String(payload.dropFirst(4)))
        } else if payload.hasPrefix("slots:") {
            self = .slotsWanted(credential: String(payload.dropFirst(6)))
        } else if payload.hasPrefix("quota:") {
            self = .quotaExhausted(subject: String(payload.dropFirst(6)))
        } else {
            return nil
        }
    }
}
