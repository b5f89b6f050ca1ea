import Foundation
import Histogram

/// One scenario's figures: both arms, the gateway's resource use, and the comparisons.
struct ScenarioReport: Sendable {
    var scenario: String
    var shape: LoadShape
    var direct: ArmResult
    var proxy: ArmResult
    /// proxy-floor under the same load (--floor): the stack without the gateway's own work.
    var floor: ArmResult?
    /// nginx and Caddy under the same load (--reverse-proxies), and the gateway on PostgreSQL
    /// (--store postgres).
    var reverseProxies: [ArmResult] = []
    var gatewayPeakRSSBytes: Int?
    var gatewayCPUSeconds: Double?

    /// Every arm measured, direct first.
    var arms: [ArmResult] { [self.direct, self.proxy] + [self.floor].compactMap { $0 } + self.reverseProxies }

    var throughputRatio: Double { self.direct.throughput > 0 ? self.proxy.throughput / self.direct.throughput : 0 }
    var floorThroughputRatio: Double? {
        self.floor.map { $0.throughput > 0 ? self.proxy.throughput / $0.throughput : 0 }
    }

    static let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99)]

    func added(_ percentile: Double, _ histogram: KeyPath<ArmResult, Histogram<UInt64>>) -> Int64 {
        Int64(self.proxy[keyPath: histogram].valueAtPercentile(percentile))
            - Int64(self.direct[keyPath: histogram].valueAtPercentile(percentile))
    }

    var text: String {
        var lines: [String] = []
        lines.append(
            "== \(self.scenario): \(self.shape.users) users x \(self.shape.concurrencyPerUser) concurrent, \(self.shape.requests.map { "\($0) requests" } ?? "\(self.shape.duration) s"), \(self.shape.chunks) chunks, \(self.shape.chunkDelayMilliseconds) ms apart"
        )
        lines.append(Self.pad(["arm", "requests", "req/s", "p50 us", "p90 us", "p99 us", "max us", "failures"]))
        for arm in self.arms {
            lines.append(
                Self.pad([
                    arm.name, "\(arm.requests)", String(format: "%.0f", arm.throughput),
                    "\(arm.latency.valueAtPercentile(50))", "\(arm.latency.valueAtPercentile(90))",
                    "\(arm.latency.valueAtPercentile(99))", "\(arm.latency.max)", "\(arm.failures)",
                ])
            )
        }
        lines.append(String(format: "throughput ratio proxy/direct: %.3f", self.throughputRatio))
        lines.append(
            "added latency: p50 \(self.added(50, \.latency)) us, p90 \(self.added(90, \.latency)) us, p99 \(self.added(99, \.latency)) us, max \(Int64(self.proxy.latency.max) - Int64(self.direct.latency.max)) us"
        )
        if let floor = self.floor, let ratio = self.floorThroughputRatio {
            let floorAdded = Int64(floor.latency.valueAtPercentile(50)) - Int64(self.direct.latency.valueAtPercentile(50))
            lines.append(String(format: "throughput ratio proxy/floor: %.3f; the floor adds p50 %lld us", ratio, floorAdded))
        }
        for other in self.reverseProxies where other.name.hasPrefix("postgres") && self.proxy.throughput > 0 {
            lines.append(
                String(
                    format: "%@: %.1f%% of the SQLite gateway's throughput (costs %.1f%%), adds p50 %lld us over it", other.name,
                    other.throughput / self.proxy.throughput * 100, (1 - other.throughput / self.proxy.throughput) * 100,
                    Int64(other.latency.valueAtPercentile(50)) - Int64(self.proxy.latency.valueAtPercentile(50))))
        }
        for other in self.reverseProxies where other.throughput > 0 && !other.name.hasPrefix("postgres") {
            let otherAdded = Int64(other.latency.valueAtPercentile(50)) - Int64(self.direct.latency.valueAtPercentile(50))
            var line = String(
                format: "throughput ratio proxy/%@: %.3f; %@ adds p50 %lld us", other.name, self.proxy.throughput / other.throughput,
                other.name, otherAdded)
            if other.timeToFirstByte.totalCount > 0 {
                let ttfb = Int64(other.timeToFirstByte.valueAtPercentile(50)) - Int64(self.direct.timeToFirstByte.valueAtPercentile(50))
                line += ", time to first byte +\(ttfb) us p50"
            }
            lines.append(line)
        }
        if self.proxy.timeToFirstByte.totalCount > 0 {
            lines.append(
                "time to first byte: direct p50 \(self.direct.timeToFirstByte.valueAtPercentile(50)) us, proxy p50 \(self.proxy.timeToFirstByte.valueAtPercentile(50)) us; overhead p50 \(self.added(50, \.timeToFirstByte)) us, p99 \(self.added(99, \.timeToFirstByte)) us"
            )
            lines.append(
                String(
                    format: "inter-chunk gap: direct mean %.0f us, proxy mean %.0f us; overhead p50 %lld us, p99 %lld us",
                    self.direct.chunkGap.mean, self.proxy.chunkGap.mean, self.added(50, \.chunkGap), self.added(99, \.chunkGap)
                )
            )
        }
        let measured = self.arms.filter { $0.cpuSeconds != nil }
        if !measured.isEmpty {
            var line = "CPU per request (the direct arm's is the mock's): "
            line += measured.map { String(format: "%@ %.0f us", $0.name, $0.cpuPerRequest ?? 0) }.joined(separator: ", ")
            if self.proxy.events > 0 {
                line += "; per streamed event: "
                line += measured.map { String(format: "%@ %.1f us", $0.name, $0.cpuPerEvent ?? 0) }.joined(separator: ", ")
            }
            lines.append(line)
        }
        for arm in self.arms where arm.failures > 0 {
            lines.append(
                "\(arm.name) failures: statuses \(arm.statuses.filter { $0.key != 200 }), broken \(arm.brokenStreams), transport \(arm.transportErrors)"
            )
        }
        if let rss = self.gatewayPeakRSSBytes {
            let cpu = self.gatewayCPUSeconds ?? 0
            var line = String(
                format: "gateway: peak RSS %.1f MB, CPU %.2f s, %.0f us per request", Double(rss) / 1_048_576, cpu,
                self.proxy.requests > 0 ? cpu * 1e6 / Double(self.proxy.requests) : 0)
            if self.proxy.events > 0 {
                line += String(
                    format: ", %.1f us per streamed event (%.1f events per stream)", cpu * 1e6 / Double(self.proxy.events),
                    Double(self.proxy.events) / Double(max(1, self.proxy.requests)))
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    var json: [String: Any] {
        func arm(_ arm: ArmResult) -> [String: Any] {
            [
                "requests": arm.requests, "throughput_rps": arm.throughput,
                "latency_us": [
                    "p50": arm.latency.valueAtPercentile(50), "p90": arm.latency.valueAtPercentile(90),
                    "p99": arm.latency.valueAtPercentile(99), "max": arm.latency.max,
                ],
                "ttfb_us": ["p50": arm.timeToFirstByte.valueAtPercentile(50), "p99": arm.timeToFirstByte.valueAtPercentile(99)],
                "chunk_gap_us_mean": arm.chunkGap.mean,
                "statuses": Dictionary(uniqueKeysWithValues: arm.statuses.map { (String($0.key), $0.value) }),
                "broken_streams": arm.brokenStreams, "transport_errors": arm.transportErrors,
            ].merging(arm.cpuPerRequest.map { ["cpu_us_per_request": $0, "cpu_us_per_event": arm.cpuPerEvent ?? 0] } ?? [:]) { $1 }
        }
        var json: [String: Any] = [
            "scenario": self.scenario, "users": self.shape.users, "concurrency_per_user": self.shape.concurrencyPerUser,
            "direct": arm(self.direct), "proxy": arm(self.proxy), "throughput_ratio": self.throughputRatio,
            "added_latency_us": ["p50": self.added(50, \.latency), "p90": self.added(90, \.latency), "p99": self.added(99, \.latency)],
            "ttfb_overhead_us": ["p50": self.added(50, \.timeToFirstByte), "p99": self.added(99, \.timeToFirstByte)],
        ]
        if let floor = self.floor {
            json["floor"] = arm(floor)
            json["throughput_ratio_proxy_floor"] = self.floorThroughputRatio
        }
        for other in self.reverseProxies { json[other.name] = arm(other) }
        if let rss = self.gatewayPeakRSSBytes { json["gateway_peak_rss_bytes"] = rss }
        if let cpu = self.gatewayCPUSeconds { json["gateway_cpu_seconds"] = cpu }
        return json
    }

    static func pad(_ columns: [String]) -> String {
        columns.enumerated().map { index, column in
            let width = index == 0 ? 8 : 10
            return column.count >= width ? column : column + String(repeating: " ", count: width - column.count)
        }.joined(separator: " ")
    }
}
