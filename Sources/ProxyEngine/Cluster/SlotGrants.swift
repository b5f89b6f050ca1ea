/// One instance's share of each credential's concurrency limit, when instances share it: the
/// store grants an instance slots one at a time (never more, over all instances, than the
/// limit), and the instance keeps them while they are useful, so that a credential served by
/// one instance pays no round trip per request. Slots in use are never given back; free ones
/// (`surplus`) go back when another instance asks for them, and when the credential has been
/// idle here for a renewal period.
///
/// A plain value type: its owner's `Mutex` serialises it.
public struct SlotGrants: Sendable {
    struct Credential: Sendable {
        var granted = 0
        var inUse = 0
        /// Slots given back whose write to the store is still queued.
        var returning = 0
    }

    private var credentials: [String: Credential] = [:]
    /// The credential of every slot in use, by lease id.
    private var leases: [String: String] = [:]

    public init() {}

    /// Takes a slot this instance already holds, when one is free.
    public mutating func useGranted(_ credential: String, lease: String) -> Bool {
        guard var state = self.credentials[credential], state.inUse < state.granted else { return false }
        state.inUse += 1
        self.credentials[credential] = state
        self.leases[lease] = credential
        return true
    }

    /// The store granted one more slot, taken by `lease`.
    public mutating func granted(_ credential: String, lease: String) {
        self.credentials[credential, default: Credential()].granted += 1
        self.credentials[credential]!.inUse += 1
        self.leases[lease] = credential
    }

    /// A request ended: its slot is free (and kept). False for a lease that held no slot.
    @discardableResult
    public mutating func release(lease: String) -> Bool {
        guard let credential = self.leases.removeValue(forKey: lease) else { return false }
        self.credentials[credential]?.inUse -= 1
        return true
    }

    /// Gives back `credential`'s free slots; how many.
    @discardableResult
    public mutating func giveBackSurplus(of credential: String) -> Int {
        guard var state = self.credentials[credential] else { return 0 }
        let surplus = state.granted - state.inUse
        guard surplus > 0 else { return 0 }
        state.granted -= surplus
        state.returning += surplus
        self.credentials[credential] = state
        return surplus
    }

    /// Gives back every slot of the credentials with none in use, and forgets those with
    /// nothing left to give back.
    public mutating func giveBackIdle() {
        for (credential, state) in self.credentials where state.inUse == 0 {
            if state.granted > 0 {
                self.giveBackSurplus(of: credential)
            } else if state.returning == 0 {
                self.credentials[credential] = nil
            }
        }
    }

    /// The slots given back and not yet written, to write now (for one credential, or all).
    public mutating func takeReturns(of credential: String) -> Int {
        guard let returning = self.credentials[credential]?.returning, returning > 0 else { return 0 }
        self.credentials[credential]!.returning = 0
        return returning
    }

    public mutating func takeReturns() -> [String: Int] {
        var returns: [String: Int] = [:]
        for credential in self.credentials.keys {
            let count = self.takeReturns(of: credential)
            if count > 0 { returns[credential] = count }
        }
        return returns
    }

    /// A write of returns failed: they are written with the next.
    public mutating func restoreReturns(_ returns: [String: Int]) {
        for (credential, count) in returns { self.credentials[credential, default: Credential()].returning += count }
    }

    public func granted(_ credential: String) -> Int { self.credentials[credential]?.granted ?? 0 }
    public func inUse(_ credential: String) -> Int { self.credentials[credential]?.inUse ?? 0 }
}
