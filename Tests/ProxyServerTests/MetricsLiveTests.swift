import AsyncHTTPClient
import MockUpstream
import NIOCore
import ProxyEngine
import Testing

@testable import ProxyServer

/// A parsed Prometheus text exposition: sample name with labels → value.
struct PrometheusSamples {
    var values: [String: Double] = [:]
    var names: Set<String> = []

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = String(line[..<space])
            self.values[series] = value
            self.names.insert(String(series.prefix { $0 != "{" }))
        }
    }

    /// The sum over every series of `name` whose labels include all of `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        self.values.filter { series, _ in
            series.prefix(while: { $0 != "{" }) == name
                && labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
        }.values.reduce(0, +)
    }
}

@Suite(.timeLimit(.minutes(5))) struct MetricsLiveTests {
    func scrape(_ harness: LiveHarness) async throws -> PrometheusSamples {
        let response = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/metrics"))
        #expect(response.status == 200)
        return PrometheusSamples(response.body)
    }

    /// The metrics once `condition` holds: a stream's counters move when its last byte has
    /// been written, which its client may read first. Polls; the test's time limit ends it.
    func scrape(_ harness: LiveHarness, until condition: (PrometheusSamples) -> Bool) async throws -> PrometheusSamples {
        while true {
            let samples = try await self.scrape(harness)
            if condition(samples) { return samples }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func everyContractMetricIsExposedAndCountersMoveWithTraffic() async throws {
        try await LiveHarness.run { harness in
            let before = try await self.scrape(harness)
            #expect(before.sum("proxy_requests_total") == 0)
            #expect(before.sum("proxy_account_healthy", ["provider": "mock-upstream", "account": "acct-1"]) == 1)

            for _ in 0..<3 { _ = try await harness.send(harness.chatRequest(LiveHarness.body())) }
            let streamed = try await harness.send(harness.chatRequest(LiveHarness.body(stream: true)))
            #expect(streamed.status == 200)
            _ = try await harness.send(harness.chatRequest(LiveHarness.body(model: "unknown-model")))
            _ = try await harness.send(harness.chatRequest(#"{"model":"#))

            let after = try await self.scrape(harness) { $0.sum("proxy_request_duration_seconds_count") == 6 }
            for name in [
                "proxy_requests_total", "proxy_request_duration_seconds_bucket", "proxy_upstream_ttfb_seconds_bucket",
                "proxy_active_streams", "proxy_tokens_total", "proxy_rejections_total", "proxy_account_healthy",
                "proxy_upstream_retries_total",
            ] {
                #expect(after.names.contains(name), "\(name) missing")
            }
            #expect(after.sum("proxy_requests_total", ["status": "200", "model": "gpt-*", "provider": "mock-upstream"]) == 4)
            #expect(after.sum("proxy_requests_total", ["status": "404", "model": "unknown"]) == 1)
            #expect(after.sum("proxy_requests_total", ["status": "400"]) == 1)
            #expect(after.sum("proxy_rejections_total", ["reason": "model_not_found"]) == 1)
            #expect(after.sum("proxy_rejections_total", ["reason": "invalid_request"]) == 1)
            #expect(after.sum("proxy_request_duration_seconds_count") == 6)
            #expect(after.sum("proxy_upstream_ttfb_seconds_count", ["provider": "mock-upstream"]) == 4)
            // Four answers of 8 completion tokens each: the stream's usage too, which the gateway
            // asked the upstream for although the client did not.
            #expect(after.sum("proxy_tokens_total", ["kind": "completion"]) == 32)
            #expect(after.sum("proxy_active_streams") == 0)
        }
    }

    @Test func activeStreamsCountsAStreamInFlight() async throws {
        try await LiveHarness.run(configure: { $0.providers[0].timeoutSeconds = 600 }) { harness in
            let request = harness.chatRequest(LiveHarness.body(stream: true), headers: [("x-mock-hold", "metrics")])
            let response = try await harness.client.execute(request, timeout: .seconds(30))
            try await harness.mock.stats.wait { $0.active == 1 }
            #expect(try await self.scrape(harness).sum("proxy_active_streams") == 1)
            harness.mock.gates.open("metrics")
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(try await self.scrape(harness) { $0.sum("proxy_active_streams") == 0 }.sum("proxy_active_streams") == 0)
        }
    }
}
