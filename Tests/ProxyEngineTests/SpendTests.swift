import Foundation
import NIOCore
import Testing

@testable import ProxyEngine

/// Prices, reservations and the cut: the pure parts of spend.
@Suite(.timeLimit(.minutes(5))) struct SpendTests {
    static let utc = QuotaCalendar(timeZone: "UTC")!
    static let midNovember = 1_794_787_200.0

    // MARK: Prices

    /// Worked by hand: 2,000 uncached tokens at $3/M = $0.006, 6,000 read from the cache at
    /// $0.30/M = $0.0018, 2,000 written to it at $3.75/M = $0.0075, 500 out at $15/M = $0.0075:
    /// $0.0228.
    @Test func aCachedAnthropicPromptIsPricedPartByPart() {
        let sonnet = ModelPrice(input: 3, cachedInput: 0.30, cacheWrite: 3.75, output: 15)
        let usage = TokenUsage(promptTokens: 10_000, completionTokens: 500, cacheReadTokens: 6_000, cacheWriteTokens: 2_000)
        #expect(sonnet.cost(of: usage) == 22_800)
        #expect(Microdollars.dollars(sonnet.cost(of: usage)) == "0.022800")
    }

    /// Worked by hand: 1,000 uncached at $2/M = $0.002, 200 cached at $0.50/M = $0.0001, 3,000
    /// out (2,500 of them reasoning, priced as output) at $8/M = $0.024: $0.0261.
    @Test func anOpenAIReasoningAnswerPricesItsReasoningAsOutput() {
        let o3 = ModelPrice(input: 2, cachedInput: 0.50, output: 8)
        let usage = TokenUsage(promptTokens: 1_200, completionTokens: 3_000, cacheReadTokens: 200, reasoningTokens: 2_500)
        #expect(o3.cost(of: usage) == 26_100)
        let withoutReasoning = TokenUsage(promptTokens: 1_200, completionTokens: 3_000, cacheReadTokens: 200)
        #expect(o3.cost(of: withoutReasoning) == 26_100)
    }

    @Test func aPriceIsRoundedUpToTheMicrodollarAndNeverOverflows() {
        let deepseek = ModelPrice(input: 0.27, output: 1.10)
        #expect(deepseek.cost(of: TokenUsage(promptTokens: 1, completionTokens: 0)) == 1)
        #expect(deepseek.cost(of: TokenUsage(promptTokens: 0, completionTokens: 0)) == 0)
        let absurd = ModelPrice(input: 1e9, output: 1e9)
        let huge = TokenUsage(promptTokens: TokenUsage.maximumCount, completionTokens: TokenUsage.maximumCount)
        #expect(absurd.cost(of: huge) > 0)
    }

    @Test func everyBuiltInRowNamesItsSourceAndDate() throws {
        #expect(PriceTable.builtIn.count >= 30)
        let date = try Regex("^20[0-9]{2}-[01][0-9]-[0-3][0-9]$")
        var models: Set<String> = []
        for row in PriceTable.builtIn {
            #expect(row.source.hasPrefix("https://"), "\(row.model)")
            #expect(row.date.wholeMatch(of: date) != nil, "\(row.model): \(row.date)")
            // A free model (GLM's flash models) is free both ways, an embedding model's output is
            // free; every other row prices both.
            let isFree = row.price.input == 0 && row.price.output == 0
            #expect(isFree || (row.price.input > 0 && (row.price.output > 0 || row.model.contains("embed"))), "\(row.model)")
            #expect(models.insert(row.model).inserted, "\(row.model) twice")
        }
        for vendor in ["gpt-", "claude-", "deepseek-", "glm-", "gemini-", "mistral-"] {
            #expect(PriceTable.builtIn.contains { $0.model.hasPrefix(vendor) }, "no \(vendor) row")
        }
    }

    @Test func aConfiguredPriceWinsOverTheBuiltInRow() {
        let builtIn = PriceTable().price(of: "deepseek-chat")
        #expect(builtIn != nil)
        let configured = ModelPrice(input: 0.27, cachedInput: 0.07, output: 1.10)
        let table = PriceTable(overrides: [PriceOverride(pattern: "deepseek-chat", price: configured)])
        #expect(table.price(of: "deepseek-chat") == configured)
        #expect(builtIn != configured)
        // A pattern prices a family; a literal name wins over it whatever the order.
        let family = ModelPrice(input: 1, output: 2)
        let patterned = PriceTable(overrides: [
            PriceOverride(pattern: "acme-*", price: family), PriceOverride(pattern: "acme-large", price: configured),
        ])
        #expect(patterned.price(of: "acme-small") == family)
        #expect(patterned.price(of: "acme-large") == configured)
        #expect(patterned.price(of: "unknown-model") == nil)
    }

    @Test func aDatedSnapshotIsPricedAsItsModel() {
        let table = PriceTable()
        #expect(table.price(of: "gpt-4o-2024-08-06") == table.price(of: "gpt-4o"))
        #expect(table.price(of: "gpt-4o-mini-2024-07-18") == table.price(of: "gpt-4o-mini"))
        #expect(table.price(of: "gpt-4o-mini") != table.price(of: "gpt-4o"))
        #expect(table.price(of: "claude-sonnet-4-5-20250929") == table.price(of: "claude-sonnet-4-5"))
    }

    // MARK: Reservations

    static let price = ModelPrice(input: 1, output: 10)

    @Test func aRequestWithoutALimitIsClampedToWhatTheBudgetPays() throws {
        // $0.001 left: 100 prompt tokens cost 100 µ$, leaving 900 µ$ for output at 10 µ$ a token.
        let demand = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: nil, price: Self.price)
        let reservation = try QuotaReservation.plan(demand, remainingTokens: nil, remainingMicrodollars: 1_000).get()
        #expect(reservation == QuotaReservation(promptTokens: 100, outputTokens: 90, microdollars: 1_000, isClamped: true))
        // Far from the end, a request that names no limit keeps none.
        let rich = try QuotaReservation.plan(demand, remainingTokens: nil, remainingMicrodollars: 100_000_000).get()
        #expect(!rich.isClamped && rich.outputTokens == QuotaReservation.unboundedOutputTokens)
        // One that names a limit the budget pays for keeps it.
        let asked = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: 50, price: Self.price)
        #expect(try QuotaReservation.plan(asked, remainingTokens: nil, remainingMicrodollars: 1_000).get().isClamped == false)
    }

    @Test func aRequestThatCannotAffordAMinimalAnswerIsRefused() {
        let demand = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: nil, price: Self.price)
        #expect(throws: QuotaReservation.Shortfall.microdollars(remaining: 200)) {
            try QuotaReservation.plan(demand, remainingTokens: nil, remainingMicrodollars: 200).get()
        }
        #expect(throws: QuotaReservation.Shortfall.tokens(remaining: 110)) {
            try QuotaReservation.plan(demand, remainingTokens: 110, remainingMicrodollars: nil).get()
        }
        // A short answer asked for, that fits, is no shortfall.
        let short = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: 5, price: Self.price)
        #expect((try? QuotaReservation.plan(short, remainingTokens: 105, remainingMicrodollars: nil).get()) != nil)
        // An unpriced model costs nothing, while the budget has anything left.
        let unpriced = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: nil, price: nil)
        #expect((try? QuotaReservation.plan(unpriced, remainingTokens: nil, remainingMicrodollars: 1).get())?.microdollars == 0)
    }

    /// The race: 50 requests at once on a budget of a few cents. The total charged never passes
    /// it, whatever each request used, and every request admitted was settled.
    @Test(arguments: [false, true])
    func concurrentRequestsNeverSpendPastABudget(sharedAcrossTwoInstances: Bool) async throws {
        let store = InMemorySharedLimits()
        let instances = (0..<(sharedAcrossTwoInstances ? 2 : 1)).map { _ in
            QuotaManager(
                calendar: Self.utc, flushEveryRequests: 1000, shared: sharedAcrossTwoInstances ? store : nil, now: { Self.midNovember })
        }
        let budget = 30_000  // $0.03
        let limits = QuotaManager.Limits(monthlyRequests: 0, monthlyTokens: 0, monthlyMicrodollars: budget)
        // Each asks for 100 prompt tokens (100 µ$) and up to 400 out (4,000 µ$): 4,100 µ$ at worst.
        let demand = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: 400, price: Self.price)
        let outcomes = await withTaskGroup(of: (Int, Int).self, returning: [(Int, Int)].self) { group in
            for index in 0..<50 {
                let quota = instances[index % instances.count]
                group.addTask {
                    do {
                        let grant = try await quota.admit(subject: "key:k", limits: limits, demand: demand)
                        // Some use all they may, some more (an upstream that ignored its limit).
                        let used = TokenUsage(promptTokens: 100, completionTokens: index % 3 == 0 ? 1_000 : 300)
                        let charged = quota.settle(grant, tokens: used.total, microdollars: Self.price.cost(of: used), subject: "key:k")
                        return (200, charged.microdollars)
                    } catch {
                        return ((error as? GatewayError)?.status ?? 0, 0)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for quota in instances { try await quota.synchronize() }
        let charged = outcomes.map(\.1).reduce(0, +)
        #expect(charged <= budget)
        #expect(outcomes.allSatisfy { $0.0 == 200 || $0.0 == 402 })
        #expect(outcomes.contains { $0.0 == 200 } && outcomes.contains { $0.0 == 402 })
        if sharedAcrossTwoInstances {
            #expect(store.spent("key:k").microdollars == charged)
            #expect(store.reservedSpend("key:k") == (0, 0))
        } else {
            #expect(instances[0].usage(of: "key:k").usage.microdollars == charged)
        }
    }

    /// The same race on a token quota.
    @Test(arguments: [false, true])
    func concurrentRequestsNeverSpendPastATokenQuota(sharedAcrossTwoInstances: Bool) async throws {
        let store = InMemorySharedLimits()
        let instances = (0..<(sharedAcrossTwoInstances ? 2 : 1)).map { _ in
            QuotaManager(
                calendar: Self.utc, flushEveryRequests: 1000, shared: sharedAcrossTwoInstances ? store : nil, now: { Self.midNovember })
        }
        let limits = QuotaManager.Limits(monthlyRequests: 0, monthlyTokens: 2_000)
        let demand = QuotaReservation.Demand(promptTokens: 20, requestedOutputTokens: 200, price: nil)
        let charged = await withTaskGroup(of: Int.self, returning: Int.self) { group in
            for index in 0..<50 {
                let quota = instances[index % instances.count]
                group.addTask {
                    guard let grant = try? await quota.admit(subject: "user:u", limits: limits, demand: demand) else { return 0 }
                    return quota.settle(grant, tokens: 20 + 250, microdollars: 0, subject: "user:u").tokens
                }
            }
            return await group.reduce(0, +)
        }
        for quota in instances { try await quota.synchronize() }
        #expect(charged <= 2_000)
        #expect(charged > 0)
    }

    @Test func aSharedReservationIsGivenBackWhenTheRequestIsRefunded() async throws {
        let store = InMemorySharedLimits()
        let quota = QuotaManager(calendar: Self.utc, flushEveryRequests: 1000, shared: store, now: { Self.midNovember })
        let limits = QuotaManager.Limits(monthlyRequests: 0, monthlyTokens: 0, monthlyMicrodollars: 10_000)
        let demand = QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: 100, price: Self.price)
        let grant = try await quota.admit(subject: "s", limits: limits, demand: demand)
        #expect(grant.isSharedReservation)
        // Only the budget is limited: only dollars are reserved.
        #expect(store.reservedSpend("s") == (0, 1_100))
        quota.refund(subject: "s", grant)
        try await quota.synchronize()
        #expect(store.reservedSpend("s") == (0, 0))
        #expect(store.spent("s").microdollars == 0)
    }

    /// A budget and a model with no price: nothing to hold, so no round trip to the store, and
    /// the reservations of the instance's outages are untouched by its end.
    @Test func anUnpricedRequestOnABudgetAsksNothingOfTheStore() async throws {
        let store = InMemorySharedLimits()
        let quota = QuotaManager(calendar: Self.utc, flushEveryRequests: 1000, shared: store, now: { Self.midNovember })
        let limits = QuotaManager.Limits(monthlyRequests: 0, monthlyTokens: 0, monthlyMicrodollars: 10_000)
        let grant = try await quota.admit(
            subject: "s", limits: limits, demand: QuotaReservation.Demand(promptTokens: 100, requestedOutputTokens: 100, price: nil))
        #expect(store.reserveCalls == 0)
        #expect(grant.reservation?.microdollars == 0)
        quota.settle(grant, tokens: 200, microdollars: 0, subject: "s")
        try await quota.synchronize()
        #expect(store.reservedSpend("s") == (0, 0))
        #expect(store.spent("s").tokens == 200)
    }

    // MARK: The output limit in the body

    @Test func theOutputLimitIsLoweredInPlaceOrAdded() {
        func lower(_ json: String, _ format: APIFormat, to tokens: Int = 42, model: String = "m") -> String? {
            OutputTokenLimit.lowering(to: tokens, in: ByteBuffer(string: json), format: format, model: model).map { String(buffer: $0) }
        }
        #expect(lower(#"{"model":"m","max_tokens": 4096,"messages":[]}"#, .anthropic) == #"{"model":"m","max_tokens": 42,"messages":[]}"#)
        #expect(lower(#"{"model":"m","messages":[]}"#, .openAI) == #"{"max_tokens":42,"model":"m","messages":[]}"#)
        #expect(
            lower(#"{"model":"o3","messages":[]}"#, .openAI, model: "o3") == #"{"max_completion_tokens":42,"model":"o3","messages":[]}"#)
        #expect(
            lower(#"{"max_completion_tokens":9000,"max_tokens":9000,"x":{"max_tokens":1}}"#, .openAI)
                == #"{"max_completion_tokens":42,"max_tokens":42,"x":{"max_tokens":1}}"#)
        #expect(lower(#"{"input":"hi","max_output_tokens":100}"#, .responses) == #"{"input":"hi","max_output_tokens":42}"#)
        #expect(lower(" { } ", .responses) == #" {"max_output_tokens":42 } "#)
        // Never raised; never added above what every model takes.
        #expect(lower(#"{"max_tokens":20}"#, .anthropic) == nil)
        #expect(lower(#"{"model":"m","messages":[]}"#, .openAI, to: 90_000) == nil)
        #expect(OutputTokenLimit.value(in: ByteBuffer(string: #"{"max_completion_tokens":10,"max_tokens":64}"#), format: .openAI) == 10)
    }

    @Test func theRequestedOutputLimitIsReadInEachFormat() throws {
        func limit(_ json: String, _ format: APIFormat) throws -> Int? {
            try CompletionRequestSummary(body: ByteBuffer(string: json), format: format).maxOutputTokens
        }
        #expect(try limit(#"{"model":"m","messages":[{}],"max_tokens":64}"#, .anthropic) == 64)
        #expect(try limit(#"{"model":"m","messages":[{}],"max_completion_tokens":10,"max_tokens":64}"#, .openAI) == 10)
        #expect(try limit(#"{"model":"m","input":"x","max_output_tokens":7}"#, .responses) == 7)
        #expect(try limit(#"{"model":"m","messages":[{}]}"#, .openAI) == nil)
        #expect(throws: GatewayError.self) { try limit(#"{"model":"m","messages":[{}],"max_tokens":"64"}"#, .openAI) }
        #expect(throws: GatewayError.self) { try limit(#"{"model":"m","messages":[{}],"max_tokens":-1}"#, .openAI) }
    }
}
