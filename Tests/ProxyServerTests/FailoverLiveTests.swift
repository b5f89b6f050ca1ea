import AsyncHTTPClient
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct FailoverLiveTests {
    static let keys = ["sk-account-good-1-0000", "sk-account-good-2-0000", "sk-account-bad-3-00000"]

    static func threeAccounts(_ config: inout GatewayConfig) {
        config.providers[0].accounts = zip(["good-1", "good-2", "bad-3"], Self.keys).map { AccountConfig(name: $0, apiKey: $1) }
        config.providers[0].maxRetries = 2
    }

    /// A 429 is not a failure: its account comes back at its reset time (see AccountPoolTests).
    /// `stall` never answers: the first-byte timeout moves the request to another account.
    @Test(arguments: [MockUpstreamBehaviour.Fault.error500, .reset, .stall])
    func oneAccountFailingEveryRequestIsInvisibleToClients(fault: MockUpstreamBehaviour.Fault) async throws {
        let behaviour = MockUpstreamBehaviour(faultsByKey: [Self.keys[2]: fault])
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            Self.threeAccounts(&config)
            // Only where an account never answers: a first-byte limit on the others could fire on a
            // machine loaded enough to stall a good answer. Long enough that it does not; the
            // stalled account costs it only until its breaker opens.
            // The request's deadline far beyond one stalled attempt and the good one after it.
            if fault == .stall {
                config.providers[0].firstByteTimeoutSeconds = 5
                config.providers[0].timeoutSeconds = 30
            }
        }
        try await LiveHarness.run(behaviour: behaviour, configure: configure) { harness in
            let statuses = try await withThrowingTaskGroup(of: [Int].self, returning: [Int].self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        var statuses: [Int] = []
                        for _ in 0..<100 { statuses.append(try await harness.send(harness.chatRequest(LiveHarness.body())).status) }
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.count == 1000)
            #expect(statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            let seen = harness.mock.stats.snapshot.requestsByKey
            // Tripped after a handful of failures: no more than one failure per concurrent client
            // on top of the breaker's threshold, and a probe per 30 s after that.
            #expect(seen[Self.keys[2], default: 0] <= AccountState.failuresToOpen + 10, "\(seen)")
            #expect(seen[Self.keys[0], default: 0] + seen[Self.keys[1], default: 0] >= 1000)
        }
    }

    /// A stream that breaks after its first byte cannot be retried, but it counts against its
    /// account: after the breaker's threshold the account gets no more streams.
    @Test func streamsThatBreakHalfWayTakeTheirAccountOutOfRotation() async throws {
        let behaviour = MockUpstreamBehaviour(chunks: 20, faultsByKey: [Self.keys[2]: .reset])
        try await LiveHarness.run(behaviour: behaviour, configure: Self.threeAccounts) { harness in
            var broken = 0
            for _ in 0..<60 {
                let answer = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true)))
                #expect(answer.status == 200)
                if !answer.body.contains("data: [DONE]") { broken += 1 }
            }
            let seen = harness.mock.stats.snapshot.requestsByKey[Self.keys[2], default: 0]
            #expect(broken == seen, "every stream the bad account served broke, and only those")
            #expect(seen <= AccountState.failuresToOpen, "the account was taken out after its threshold: \(seen)")
            #expect(seen >= 1)
        }
    }

    /// An account's verdict comes once, after its body: one whose heads say 200 and whose
    /// bodies then break is failing, and its breaker opens. (With the verdict at the head, each
    /// answer reset its failure count and it stayed in rotation for ever.)
    @Test func anAccountWhoseBodiesBreakAfterTheirHeadsIsTakenOut() async throws {
        let behaviour = MockUpstreamBehaviour(faultsByKey: [Self.keys[2]: .dropBody])
        try await LiveHarness.run(behaviour: behaviour, configure: Self.threeAccounts) { harness in
            for _ in 0..<60 {
                let answer = try await harness.send(harness.chatRequest(LiveHarness.body()))
                #expect(answer.status == 200, "a broken body fails over before the client sees anything")
            }
            let seen = harness.mock.stats.snapshot.requestsByKey[Self.keys[2], default: 0]
            #expect(seen >= 1 && seen <= AccountState.failuresToOpen, "out after its threshold: \(seen)")
            let bad = harness.gateway.providers[0].pool!.statuses()[2]
            #expect(bad.reason == "circuit open" && !bad.healthy)
        }
    }

    /// A stream holds its account's lease until it ends: `least_busy` counts open streams.
    @Test func leastBusySendsANewRequestToAnIdleAccountNotOneHoldingThreeStreams() async throws {
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            config.providers[0].accounts = [
                AccountConfig(name: "busy", apiKey: Self.keys[0]), AccountConfig(name: "idle", apiKey: Self.keys[1]),
            ]
            config.providers[0].strategy = .leastBusy
        }
        try await LiveHarness.run(configure: configure) { harness in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        // One conversation: its three streams stay on the account that took the first.
                        let request = harness.chatRequest(
                            LiveHarness.body(stream: true), headers: [("x-mock-hold", "held"), ("x-session-id", "one-conversation")])
                        let response = try await harness.client.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 20)
                    }
                }
                try await harness.mock.stats.wait { $0.streamsStarted >= 3 }
                #expect(harness.mock.stats.snapshot.requestsByKey == [Self.keys[0]: 3])
                let next = try await harness.send(harness.chatRequest(LiveHarness.body()))
                #expect(next.status == 200)
                #expect(harness.mock.stats.snapshot.lastAuthorization == "Bearer \(Self.keys[1])", "the idle account took it")
                harness.mock.gates.open("held")
                try await group.waitForAll()
            }
            // A stream's lease ends before its body does.
            #expect(harness.gateway.providers[0].pool!.statuses().map(\.inFlight) == [0, 0])
        }
    }

    @Test func noHealthyAccountIs503InTheCallersFormat() async throws {
        let behaviour = MockUpstreamBehaviour(faultsByKey: Dictionary(uniqueKeysWithValues: Self.keys.map { ($0, .error401Echo) }))
        // Every account must be judged by its 401, not by a first-byte timeout on a busy machine.
        let configure: @Sendable (inout GatewayConfig) -> Void = { config in
            Self.threeAccounts(&config)
            config.providers[0].firstByteTimeoutSeconds = 30
        }
        try await LiveHarness.run(behaviour: behaviour, configure: configure) { harness in
            let first = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(first.status == 401, "every account refused: the last answer is relayed")
            #expect(!Self.keys.contains { first.body.contains($0) })
            let second = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(second.status == 503)
            let error = try #require(try JSONTestObject.parse(second.body)?["error"] as? [String: Any])
            #expect(error["code"] as? String == "no_healthy_account")
            let ready = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/ready"))
            #expect(ready.status == 503)
            let accounts = try await harness.send(harness.request(.GET, "/admin/accounts", bearer: LiveHarness.adminKey))
            let rows = try #require(try JSONTestObject.parse(accounts.body)?["data"] as? [[String: Any]])
            #expect(rows.map { $0["account"] as? String } == ["good-1", "good-2", "bad-3"])
            #expect(rows.allSatisfy { $0["healthy"] as? Bool == false && $0["reason"] as? String == "refused (401/403)" })
            #expect(!Self.keys.contains { accounts.body.contains($0) })
        }
    }
}
