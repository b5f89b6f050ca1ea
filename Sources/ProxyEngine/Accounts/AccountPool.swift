/// One provider's upstream accounts: which one serves the next request, and what each answer
/// says about its health.
///
/// An account is out of rotation while it cools down after a 429 (until the reset time its
/// upstream gave), while its circuit is open after repeated failures (one probe request is let
/// through when the open period ends: success closes the circuit, failure opens it again for
/// twice as long), and after a 401/403 until an operator re-enables it.
public actor AccountPool {
    public enum Outcome: Sendable, Equatable {
        case success(latencySeconds: Double)
        /// A stream began: its latency counts now, its success or failure when it ends.
        case started(latencySeconds: Double)
        /// 429: out of rotation for this long.
        case rateLimited(retryAfterSeconds: Double)
        /// 401/403: the key or token is refused.
        case refused
        /// 5xx, a refused or dropped connection, or no answer in time.
        case failed
        /// The attempt was cut short by its client leaving or the request's deadline: it ends,
        /// and says nothing of the account (a half-open probe is simply tried again).
        case cancelled
    }

    public struct Status: Sendable, Equatable {
        public var name: String
        public var healthy: Bool
        public var health: Double
        public var inFlight: Int
        public var reason: String?
        /// Unix seconds when a cooldown or an open circuit ends, while one lasts.
        public var until: Double?
    }

    struct Account {
        let name: String
        let weight: Double
        /// Exponentially weighted success rate, 0...1.
        var health = 1.0
        var latency = 0.0
        var inFlight = 0
        var cooldownUntil = -Double.infinity
        var refused = false
        var consecutiveFailures = 0
        var openUntil: Double?
        var openFor: Double
        var probing = false
    }

    public static let failuresToOpen = 5
    public static let firstOpenSeconds = 30.0
    public static let longestOpenSeconds = 300.0

    public nonisolated let strategy: SelectionStrategy
    private var accounts: [Account]
    private var cursor = 0
    /// Conversation (session) → account. Session ids come from clients: bounded by count and age.
    private var sticky: BoundedMap<Int>
    private let now: @Sendable () -> Double
    private let injectedRandom: (@Sendable (Double) -> Double)?
    /// Seeded once: the system generator is a `getrandom` system call per draw, on every request.
    private var generator = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))

    /// `random(upperBound)` returns a value in `0..<upperBound`; injected so tests are exact.
    public init(
        accounts: [(name: String, weight: Double)],
        strategy: SelectionStrategy,
        now: @escaping @Sendable () -> Double,
        random: (@Sendable (Double) -> Double)? = nil,
        pinnedSessionLimit: Int = 10_000
    ) {
        self.sticky = BoundedMap(capacity: pinnedSessionLimit, maximumAge: 3600)
        self.accounts = accounts.map { Account(name: $0.name, weight: $0.weight, openFor: Self.firstOpenSeconds) }
        self.names = accounts.map(\.name)
        self.strategy = strategy
        self.now = now
        self.injectedRandom = random
    }

    private func random(_ upperBound: Double) -> Double {
        if let injectedRandom { return injectedRandom(upperBound) }
        return Double.random(in: 0..<upperBound, using: &self.generator)
    }

    /// The account for the next attempt, or nil when none can take it. `excluding` holds the
    /// accounts this request already failed on; `session` keeps a conversation on one account
    /// while that account is available.
    public func select(excluding: Set<Int> = [], session: String? = nil) -> Int? {
        let now = self.now()
        let available = self.accounts.indices.filter { !excluding.contains($0) && self.isAvailable($0, now: now) }
        guard !available.isEmpty else { return nil }
        let choice: Int
        if let session, let pinned = self.sticky.value(session, now: now), available.contains(pinned) {
            choice = pinned
        } else {
            switch self.strategy {
            case .random where available.count == 1, .healthWeighted where available.count == 1:
                choice = available[0]
            case .roundRobin:
                choice = available.first { $0 >= self.cursor % self.accounts.count } ?? available[0]
                self.cursor = choice + 1
            case .random:
                choice = available[min(available.count - 1, Int(self.random(Double(available.count))))]
            case .leastBusy:
                choice = available.min { self.accounts[$0].inFlight < self.accounts[$1].inFlight } ?? available[0]
            case .healthWeighted:
                let weights = available.map { self.accounts[$0].weight * max(0.05, self.accounts[$0].health) }
                var point = self.random(weights.reduce(0, +))
                var picked = available[available.count - 1]
                for (index, weight) in zip(available, weights) {
                    if point < weight {
                        picked = index
                        break
                    }
                    point -= weight
                }
                choice = picked
            }
            if let session { self.sticky.set(session, choice, now: now) }
        }
        if self.accounts[choice].openUntil != nil { self.accounts[choice].probing = true }
        self.accounts[choice].inFlight += 1
        return choice
    }

    /// Keeps `session` on account `index` from now on: what a native Responses upstream needs,
    /// whose response ids resolve only on the account that made them.
    public func pin(_ session: String, to index: Int) {
        guard self.accounts.indices.contains(index) else { return }
        self.sticky.set(session, index, now: self.now())
    }

    /// Records what an attempt on account `index` came to; returns whether it is still in rotation.
    /// `endsAttempt` is false for what happens after the attempt was reported (a stream that
    /// fails half-way), which must not count the attempt out twice.
    @discardableResult
    public func report(_ index: Int, _ outcome: Outcome, endsAttempt: Bool = true) -> Bool {
        let now = self.now()
        var account = self.accounts[index]
        if endsAttempt {
            account.inFlight = max(0, account.inFlight - 1)
            account.probing = false
        }
        switch outcome {
        case .started(let latency):
            account.latency = account.latency == 0 ? latency : account.latency * 0.9 + latency * 0.1
        case .success(let latency):
            account.health = account.health * 0.9 + 0.1
            if latency > 0 { account.latency = account.latency == 0 ? latency : account.latency * 0.9 + latency * 0.1 }
            account.consecutiveFailures = 0
            account.openUntil = nil
            account.openFor = Self.firstOpenSeconds
        case .rateLimited(let seconds):
            account.cooldownUntil = max(account.cooldownUntil, now + max(1, seconds))
        case .refused:
            account.refused = true
        case .cancelled:
            break
        case .failed:
            account.health *= 0.9
            account.consecutiveFailures += 1
            if let openUntil = account.openUntil, now >= openUntil {
                // The probe failed: open again, for longer.
                account.openFor = min(Self.longestOpenSeconds, account.openFor * 2)
                account.openUntil = now + account.openFor
            } else if account.consecutiveFailures >= Self.failuresToOpen && account.openUntil == nil {
                account.openUntil = now + account.openFor
            }
        }
        self.accounts[index] = account
        return self.isAvailable(index, now: now)
    }

    /// Each account's health, cooldown and breaker, by name: what a reload carries over to the
    /// pool that replaces this one.
    public struct CarriedState: Sendable {
        fileprivate var accounts: [String: Account]
    }

    public func carriedState() -> CarriedState {
        CarriedState(accounts: Dictionary(self.accounts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Takes over the state of the accounts of `carried` that this pool has too (same name),
    /// with this pool's weights. Requests in flight on the old pool report there, not here.
    public func adopt(_ carried: CarriedState) {
        for index in self.accounts.indices {
            guard var account = carried.accounts[self.accounts[index].name] else { continue }
            account = Account(
                name: account.name, weight: self.accounts[index].weight, health: account.health, latency: account.latency,
                inFlight: 0, cooldownUntil: account.cooldownUntil, refused: account.refused,
                consecutiveFailures: account.consecutiveFailures, openUntil: account.openUntil, openFor: account.openFor, probing: false)
            self.accounts[index] = account
        }
    }

    public nonisolated var count: Int { self.names.count }
    public nonisolated let names: [String]

    /// Puts a refused account back (an operator fixed its key, or a health check passed).
    public func enable(_ index: Int) {
        self.accounts[index].refused = false
        self.accounts[index].openUntil = nil
        self.accounts[index].consecutiveFailures = 0
        self.accounts[index].cooldownUntil = -Double.infinity
    }

    public func statuses() -> [Status] {
        let now = self.now()
        return self.accounts.indices.map { index in
            let account = self.accounts[index]
            let reason: String? =
                account.refused
                ? "refused (401/403)"
                : account.openUntil.map { now < $0 ? "circuit open" : "half-open" }
                    ?? (account.cooldownUntil > now ? "rate limited" : nil)
            let until = account.openUntil.flatMap { now < $0 ? $0 : nil } ?? (account.cooldownUntil > now ? account.cooldownUntil : nil)
            return Status(
                name: account.name, healthy: self.isAvailable(index, now: now), health: account.health, inFlight: account.inFlight,
                reason: reason, until: account.refused ? nil : until)
        }
    }

    /// Sessions pinned to an account now: bounded, whatever clients send.
    public var pinnedSessions: Int { self.sticky.count }

    public var hasAvailableAccount: Bool {
        let now = self.now()
        return self.accounts.indices.contains { self.isAvailable($0, now: now) }
    }

    private func isAvailable(_ index: Int, now: Double) -> Bool {
        let account = self.accounts[index]
        if account.refused || account.cooldownUntil > now { return false }
        if let openUntil = account.openUntil {
            // Half-open: one probe at a time once the open period is over.
            return now >= openUntil && !account.probing
        }
        return true
    }
}
