import Foundation
import Histogram

/// `--report PATH.html`: the run as one self-contained page (inline SVG, no script, no network):
/// each scenario's latency histogram with the arms side by side, the gateway's RSS over the
/// run, and the figures table.
enum HTMLReport {
    /// Latency bucket edges, microseconds: log-spaced, from the gateway's own overhead to a long
    /// generation.
    static let edges: [UInt64] = [
        0, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
        600_000_000,
    ]
    static let colours = ["#6b7385", "#2f6fdf", "#e08a1e"]

    static func render(_ reports: [ScenarioReport], residentSamples: [(seconds: Double, residentBytes: Int)], command: String) -> String {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>proxy-bench report</title>
            <style>body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;max-width:1000px;margin:24px auto;padding:0 16px}
            table{border-collapse:collapse;margin:8px 0 20px}th,td{padding:4px 10px;border-bottom:1px solid #dde1ea;text-align:right}
            th:first-child,td:first-child{text-align:left}svg{width:100%;height:auto}text{font-size:10px;fill:#6b7385}
            code{background:#f3f4f7;padding:2px 5px}</style></head><body>
            <h1>proxy-bench report</h1><p><code>\(escape(command))</code></p>
            """
        for report in reports {
            let arms = report.arms
            html += "<h2>\(escape(report.scenario))</h2>"
            html += "<p>\(report.shape.users) users × \(report.shape.concurrencyPerUser) concurrent, \(report.shape.chunks) chunks "
            html +=
                "\(report.shape.chunkDelayMilliseconds) ms apart. Throughput proxy/direct \(String(format: "%.3f", report.throughputRatio)); "
            html += "added latency p50 \(report.added(50, \.latency)) µs, p99 \(report.added(99, \.latency)) µs.</p>"
            html += self.table(arms)
            html += self.histogram(arms)
        }
        html += "<h2>Gateway RSS over the run</h2>" + self.residentChart(residentSamples) + "</body></html>\n"
        return html
    }

    private static func table(_ arms: [ArmResult]) -> String {
        var rows = "<table><tr><th>arm</th><th>requests</th><th>req/s</th><th>p50 µs</th><th>p90 µs</th><th>p99 µs</th><th>max µs</th>"
        rows += "<th>TTFB p50 µs</th><th>failures</th></tr>"
        for arm in arms {
            let cells = [
                "\(arm.requests)", String(format: "%.0f", arm.throughput), "\(arm.latency.valueAtPercentile(50))",
                "\(arm.latency.valueAtPercentile(90))", "\(arm.latency.valueAtPercentile(99))", "\(arm.latency.max)",
                arm.timeToFirstByte.totalCount > 0 ? "\(arm.timeToFirstByte.valueAtPercentile(50))" : "–", "\(arm.failures)",
            ]
            rows += "<tr><td>\(escape(arm.name))</td>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        return rows + "</table>"
    }

    /// Share of each arm's requests per latency bucket, the arms' bars side by side.
    private static func histogram(_ arms: [ArmResult]) -> String {
        let width = 960.0, height = 220.0, left = 40.0, bottom = 30.0
        let buckets = self.edges.count - 1
        let slot = (width - left) / Double(buckets)
        let barWidth = (slot - 4) / Double(max(1, arms.count))
        var svg = #"<svg viewBox="0 0 960 220" role="img" aria-label="latency histogram">"#
        svg += #"<line x1="\#(left)" y1="\#(height - bottom)" x2="\#(width)" y2="\#(height - bottom)" stroke="rgb(221,225,234)"/>"#
        for bucket in 0..<buckets {
            let x = left + Double(bucket) * slot
            for (index, arm) in arms.enumerated() where arm.latency.totalCount > 0 {
                let count = arm.latency.count(within: self.edges[bucket]...(self.edges[bucket + 1] - 1))
                let share = Double(count) / Double(arm.latency.totalCount)
                let barHeight = share * (height - bottom - 10)
                svg += #"<rect x="\#(x + 2 + Double(index) * barWidth)" y="\#(height - bottom - barHeight)" width="\#(barWidth)" "#
                svg += #"height="\#(barHeight)" fill="\#(self.colours[index % self.colours.count])"><title>\#(escape(arm.name)): "#
                svg += "\(String(format: "%.1f", share * 100))%</title></rect>"
            }
            svg += #"<text x="\#(x + 2)" y="\#(height - 12)">\#(self.label(self.edges[bucket]))</text>"#
        }
        for (index, arm) in arms.enumerated() {
            svg +=
                #"<rect x="\#(left + Double(index) * 120)" y="2" width="10" height="10" fill="\#(self.colours[index % self.colours.count])"/>"#
            svg += #"<text x="\#(left + 14 + Double(index) * 120)" y="11">\#(escape(arm.name))</text>"#
        }
        return svg + "</svg>"
    }

    private static func residentChart(_ samples: [(seconds: Double, residentBytes: Int)]) -> String {
        guard let last = samples.last else { return "<p>No gateway process was sampled (a running gateway is not measured).</p>" }
        let width = 960.0, height = 200.0, left = 50.0, bottom = 24.0
        let peak = Double(samples.map(\.residentBytes).max() ?? 1)
        let points = samples.map { sample in
            let x = left + sample.seconds / max(1, last.seconds) * (width - left - 10)
            let y = height - bottom - Double(sample.residentBytes) / peak * (height - bottom - 10)
            return String(format: "%.1f,%.1f", x, y)
        }.joined(separator: " ")
        var svg = #"<svg viewBox="0 0 960 200" role="img" aria-label="gateway RSS">"#
        svg += #"<polyline points="\#(points)" fill="none" stroke="rgb(47,111,223)" stroke-width="2"/>"#
        svg += #"<text x="2" y="14">\#(String(format: "%.0f MB", peak / 1_048_576))</text>"#
        svg +=
            #"<text x="\#(left)" y="\#(height - 6)">0 s</text><text x="\#(width - 60)" y="\#(height - 6)">\#(String(format: "%.0f s", last.seconds))</text>"#
        return svg + "</svg>"
    }

    private static func label(_ microseconds: UInt64) -> String {
        microseconds >= 1_000_000
            ? "\(microseconds / 1_000_000) s" : microseconds >= 1_000 ? "\(microseconds / 1_000) ms" : "\(microseconds) µs"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
