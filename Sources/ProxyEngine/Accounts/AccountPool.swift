import Synchronization

/// One provider's upstream accounts: which one serves the next attempt (`select`, which leases
/// it), and what each attempt's one verdict says of its health (`AccountLease.end`).
///
/// A `Mutex` over plain state: every operation is a few comparisons, and the request path
/// takes it twice per attempt without a hop to another executor.
public final class AccountPool: Sendable {
    public struct Status: Sendable, Equatable {
        public var name: String
        public var healthy: Bool
        public var health: Double
        /// Attempts leased and not yet ended, open streams included.
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
        var state = AccountState.fresh
    }

    private struct State {
        var accounts: [Account]
        var cursor = 0
        /// Conversation (session) → account. Session ids come from clients: bounded by count and age.
        var sticky: BoundedMap<Int>
        /// Seeded once: the system generator is a `getrandom` system call per draw, on every request.
        var generator = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
    }

    public let strategy: SelectionStrategy
    public let names: [String]
    private let state: Mutex<State>
    private let now: @Sendable () -> Double
    private let injectedRandom: (@Sendable (Double) -> Double)?

    /// `random(upperBound)` returns a value in `0..<upperBound`; injected so tests are exact.
    public init(
        accounts: [(name: String, weight: Double)],
        strategy: SelectionStrategy,
        now: @escaping @Sendable () -> Double,
        random: (@Sendable (Double) -> Double)? = nil,
        pinnedSessionLimit: Int = 10_000
    ) {
        self.state = Mutex(
            State(
                accounts: accounts.map { Account(name: $0.name, weight: $0.weight) },
                sticky: BoundedMap(capacity: pinnedSessionLimit, maximumAge: 3600)))
        self.names = accounts.map(\.name)
        self.strategy = strategy
        self.now = now
        self.injectedRandom = random
    }

    public var count: Int { self.names.count }

    /// Leases the account for the next attempt, or nil when none can take it. `excluding` holds
    /// the accounts this request already failed on; `session` keeps a conversation on one
    /// account while that account is available. The lease counts in the account's in-flight
    /// attempts until it ends.
    public func select(excluding: Set<Int> = [], session: String? = nil, attempt: Int = 0) -> AccountLease? {
        let now = self.now()
        let choice = self.state.withLock { state -> Int? in
            let available = state.accounts.indices.filter { !excluding.contains($0) && state.accounts[$0].state.isAvailable(now: now) }
            guard !available.isEmpty else { return nil }
            let choice: Int
            if let session, let pinned = state.sticky.value(session, now: now) {
                // While its account is out, the conversation is served elsewhere but stays its
                // account's: it goes back when the account does (a native Responses id resolves
                // only there; a provider's prompt cache is warm there).
                choice = available.contains(pinned) ? pinned : self.choose(among: available, in: &state)
            } else {
                choice = self.choose(among: available, in: &state)
                if let session { state.sticky.set(session, choice, now: now) }
            }
            state.accounts[choice].state.attemptStarted(now: now)
            state.accounts[choice].inFlight += 1
            return choice
        }
        return choice.map { AccountLease(pool: self, account: $0, attempt: attempt) }
    }

    private func choose(among available: [Int], in state: inout State) -> Int {
        switch self.strategy {
        case .random where available.count == 1, .healthWeighted where available.count == 1:
            return available[0]
        case .roundRobin:
            let choice = available.first { $0 >= state.cursor % state.accounts.count } ?? available[0]
            state.cursor = choice + 1
            return choice
        case .random:
            return available[min(available.count - 1, Int(self.random(Double(available.count), &state)))]
        case .leastBusy:
            return available.min { state.accounts[$0].inFlight < state.accounts[$1].inFlight } ?? available[0]
        case .healthWeighted:
            let weights = available.map { state.accounts[$0].weight * max(0.05, state.accounts[$0].health) }
            var point = self.random(weights.reduce(0, +), &state)
            for (index, weight) in zip(available, weights) {
                if point < weight { return index }
                point -= weight
            }
            return available[available.count - 1]
        }
    }

    private func random(_ upperBound: Double, _ state: inout State) -> Double {
        if let injectedRandom { return injectedRandom(upperBound) }
        return Double.random(in: 0..<upperBound, using: &state.generator)
    }

    /// Ends a lease with its verdict (`AccountLease.end` calls it, once); returns whether the
    /// account is still in rotation.
    func end(_ account: Int, _ verdict: AccountVerdict) -> Bool {
        let now = self.now()
        return self.state.withLock { state in
            var entry = state.accounts[account]
            entry.inFlight = max(0, entry.inFlight - 1)
            switch verdict {
            case .success(let latency):
                entry.health = entry.health * 0.9 + 0.1
                if latency > 0 { entry.latency = entry.latency == 0 ? latency : entry.latency * 0.9 + latency * 0.1 }
            case .failed:
                entry.health *= 0.9
            case .rateLimited, .refused, .cancelled:
                break
            }
            entry.state.record(verdict, now: now)
            state.accounts[account] = entry
            return entry.state.isAvailable(now: now)
        }
    }

    /// Keeps `session` on account `index` from now on: what a native Responses upstream needs,
    /// whose response ids resolve only on the account that made them.
    public func pin(_ session: String, to index: Int) {
        let now = self.now()
        self.state.withLock { state in
            guard state.accounts.indices.contains(index) else { return }
            state.sticky.set(session, index, now: now)
        }
    }

    /// Each account's health, cooldown and breaker, by name: what a reload carries over to the
    /// pool that replaces this one.
    public struct CarriedState: Sendable {
        fileprivate var accounts: [String: (health: Double, latency: Double, state: AccountState)]
        /// Conversations and the name of the account each is kept on.
        fileprivate var sessions: [(session: String, account: String, touched: Double)]
    }

    public func carriedState() -> CarriedState {
        self.state.withLock { state in
            CarriedState(
                accounts: Dictionary(
                    state.accounts.map { ($0.name, (health: $0.health, latency: $0.latency, state: $0.state)) },
                    uniquingKeysWith: { first, _ in first }),
                sessions: state.sticky.entriesWithTimes.compactMap { entry in
                    state.accounts.indices.contains(entry.value)
                        ? (session: entry.key, account: state.accounts[entry.value].name, touched: entry.touched) : nil
                })
        }
    }

    /// Takes over the state of the accounts of `carried` that this pool has too (same name),
    /// with this pool's weights. Attempts in flight on the old pool end there, not here; a probe
    /// out there is tried again here.
    public func adopt(_ carried: CarriedState) {
        self.state.withLock { state in
            for index in state.accounts.indices {
                guard let old = carried.accounts[state.accounts[index].name] else { continue }
                state.accounts[index].health = old.health
                state.accounts[index].latency = old.latency
                var adopted = old.state
                if case .probing(let attempt) = adopted { adopted = .open(until: 0, attempt: attempt) }
                state.accounts[index].state = adopted
            }
            // Conversations stay on their accounts (by name) across a reload.
            let indexByName = Dictionary(
                state.accounts.indices.map { (state.accounts[$0].name, $0) }, uniquingKeysWith: { first, _ in first })
            for session in carried.sessions.sorted(by: { $0.touched < $1.touched }) {
                if let index = indexByName[session.account] { state.sticky.set(session.session, index, now: session.touched) }
            }
        }
    }

    /// Puts a refused account back (an operator fixed its key, or a health check passed).
    public func enable(_ index: Int) {
        self.state.withLock { $0.accounts[index].state = .fresh }
    }

    public func statuses() -> [Status] {
        let now = self.now()
        return self.state.withLock { state in
            state.accounts.map { account in
                Status(
                    name: account.name, healthy: account.state.isAvailable(now: now), health: account.health,
                    inFlight: account.inFlight, reason: account.state.reason(now: now), until: account.state.until(now: now))
            }
        }
    }

    /// Sessions pinned to an account now: bounded, whatever clients send.
    public var pinnedSessions: Int { self.state.withLock { $0.sticky.count } }

    public var hasAvailableAccount: Bool {
        let now = self.now()
        return self.state.withLock { state in state.accounts.contains { $0.state.isAvailable(now: now) } }
    }
}
