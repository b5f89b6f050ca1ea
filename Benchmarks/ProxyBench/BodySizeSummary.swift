import Foundation
import Histogram
import NIOCore

/// The `--body-kb` scenarios side by side: each arm's CPU per request and added p50 at each
/// body size, and what one more megabyte of request body costs it (the slope between the
/// smallest and the largest size).
struct BodySizeSummary {
    let reports: [ScenarioReport]

    var text: String {
        guard let first = self.reports.first else { return "" }
        let names = first.arms.map(\.name)
        var lines = ["== request body size: CPU per request (us) / added p50 (us), per arm"]
        lines.append(ScenarioReport.pad(["KB"] + names))
        for report in self.reports {
            let kilobytes = ((report.shape.body?.readableBytes ?? 0) + 512) / 1024
            let cells = report.arms.map { arm -> String in
                let added = Int64(arm.latency.valueAtPercentile(50)) - Int64(report.direct.latency.valueAtPercentile(50))
                return String(format: "%.0f/%lld", arm.cpuPerRequest ?? 0, arm.name == "direct" ? 0 : added)
            }
            lines.append(ScenarioReport.pad(["\(kilobytes)"] + cells))
        }
        guard let last = self.reports.last, self.reports.count > 1,
            let smallBytes = first.shape.body?.readableBytes, let largeBytes = last.shape.body?.readableBytes, largeBytes > smallBytes
        else { return lines.joined(separator: "\n") }
        let megabytes = Double(largeBytes - smallBytes) / 1_048_576
        var slopes: [String] = []
        var latencySlopes: [String] = []
        for (small, large) in zip(first.arms, last.arms) where small.cpuPerRequest != nil {
            let perMegabyte = ((large.cpuPerRequest ?? 0) - (small.cpuPerRequest ?? 0)) / megabytes
            slopes.append(String(format: "%@ %.0f us", small.name, perMegabyte))
            let p50 = Double(Int64(large.latency.valueAtPercentile(50)) - Int64(small.latency.valueAtPercentile(50))) / megabytes
            latencySlopes.append(String(format: "%@ %.0f us", small.name, p50))
        }
        lines.append("CPU per extra MB of request body: " + slopes.joined(separator: ", "))
        lines.append("p50 per extra MB: " + latencySlopes.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
