import Foundation
import MockUpstream
import ProxyEngine
import Testing

@testable import ProxyServer

/// A native Responses upstream keeps its own responses, and an id resolves only on the account
/// that made it: a request continuing a response must go to that account.
@Suite(.timeLimit(.minutes(5))) struct ResponsesPinningLiveTests {
    static let keys = ["sk-account-native-1-0000", "sk-account-native-2-0000"]

    static func twoNativeAccounts(_ config: inout GatewayConfig) {
        config.providers[0].responsesAPI = .native
        config.providers[0].accounts = zip(["native-1", "native-2"], Self.keys).map { AccountConfig(name: $0, apiKey: $1) }
        // Round robin would send every second request to the other account.
        config.providers[0].strategy = .roundRobin
    }

    static func body(previous: String?, stream: Bool) -> String {
        let continuing = previous.map { #","previous_response_id":"\#($0)""# } ?? ""
        return #"{"model":"gpt-5","input":"hello","stream":\#(stream)\#(continuing)}"#
    }

    /// The response id an answer carries: the whole answer's, or the stream's `response.created`'s.
    static func responseID(_ body: String) -> String? {
        guard let range = body.range(of: #""id":"resp_[0-9a-f]+""#, options: .regularExpression) else { return nil }
        return String(body[range].dropFirst(#""id":""#.count).dropLast())
    }

    @Test(arguments: [false, true])
    func aNativeResponseIsContinuedOnTheAccountThatMadeIt(stream: Bool) async throws {
        try await LiveHarness.run(configure: Self.twoNativeAccounts) { harness in
            var makers: Set<String> = []
            for _ in 0..<4 {
                let first = try await harness.send(harness.chatRequest(Self.body(previous: nil, stream: stream), path: "/v1/responses"))
                #expect(first.status == 200)
                let madeBy = try #require(harness.mock.stats.snapshot.lastAuthorization)
                makers.insert(madeBy)
                let id = try #require(Self.responseID(first.body), "\(first.body.prefix(300))")
                let next = try await harness.send(harness.chatRequest(Self.body(previous: id, stream: stream), path: "/v1/responses"))
                #expect(next.status == 200)
                #expect(harness.mock.stats.snapshot.lastBody?.contains(id) == true, "forwarded as sent")
                #expect(harness.mock.stats.snapshot.lastAuthorization == madeBy, "continued on the account that made \(id)")
            }
            #expect(makers.count == 2, "new conversations still go round both accounts")
        }
    }
}
