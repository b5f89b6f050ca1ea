import AsyncHTTPClient
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct PacingLiveTests {
    @Test func aPacedProviderQueuesThenRefusesInTheCallersFormat() async throws {
        try await LiveHarness.run(configure: { config in
            // One request per 10 s: the four arrive within one interval however loaded the machine
            // (the second is answered after it).
            config.providers[0].requestsPerSecond = 0.1
            // The wait in the queue counts towards the request's deadline: far beyond it.
            config.providers[0].timeoutSeconds = 60
            config.providers[0].queueCapacity = 1
            config.providers[0].queueTimeoutSeconds = 30
        }) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self, returning: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await harness.send(harness.chatRequest(LiveHarness.body())).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // One starts at once, one waits its turn in the queue of one, two find it full.
            #expect(statuses.sorted() == [200, 200, 429, 429])
            #expect(harness.mock.stats.snapshot.requests == 2)
        }
    }

    @Test func aTiersRequestsPerMinuteLimitIs429WithRetryAfter() async throws {
        try await LiveHarness.run(configure: { config in
            config.quota.tiers["pro"] = QuotaTier(requestsPerMinute: 2)
        }) { harness in
            for _ in 0..<2 { #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 200) }
            let third = try await harness.send(harness.chatRequest(LiveHarness.body()))
            #expect(third.status == 429)
            #expect(Int(third.headers.first(name: "retry-after") ?? "") ?? 0 > 0)
            #expect(third.body.contains("requests-per-minute"))
        }
    }
}
