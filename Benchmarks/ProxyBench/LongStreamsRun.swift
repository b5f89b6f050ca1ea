import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Holds many slow streams open at once through the gateway (or proxy-floor) and reports its
/// memory: before, with every stream open, the peak, and after they have all ended.
struct LongStreamsRun {
    let client: HTTPClient
    /// What is measured, for the report: "gateway" or "floor".
    let name: String
    let url: String
    let process: ManagedProcess?
    let credential: String
    let streams: Int
    let chunks: Int
    let chunkDelayMilliseconds: Int

    struct Report {
        var name: String
        var streams: Int
        var chunks: Int
        var chunkDelayMilliseconds: Int
        var completed = 0
        var failures = 0
        /// Failed streams by HTTP status; 0 is a transport error, -1 a stream that ended early.
        var failuresByStatus: [Int: Int] = [:]
        var seconds = 0.0
        var rssBefore = 0
        var rssAllOpen = 0
        var rssPeak = 0
        var rssAfter = 0

        var perThousandStreams: Double { Double(self.rssAllOpen - self.rssBefore) / Double(max(1, self.streams)) * 1000 }

        var text: String {
            let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_048_576) }
            return """
                == long streams through the \(self.name): \(self.streams) concurrent streams x \(self.chunks) chunks, \(self.chunkDelayMilliseconds) ms apart
                completed \(self.completed), failed \(self.failures) \(self.failuresByStatus.isEmpty ? "" : "(by status: \(self.failuresByStatus))"), in \(String(format: "%.1f", self.seconds)) s
                \(self.name) RSS: before \(mb(self.rssBefore)), all open \(mb(self.rssAllOpen)), peak \(mb(self.rssPeak)), after \(mb(self.rssAfter))
                per 1,000 open streams: \(mb(Int(self.perThousandStreams)))
                returned after the streams ended: \(mb(max(0, self.rssPeak - self.rssAfter))) of \(mb(max(0, self.rssPeak - self.rssBefore))) grown
                """
        }

        var json: [String: Any] {
            [
                "target": self.name, "streams": self.streams, "completed": self.completed, "failures": self.failures,
                "seconds": self.seconds,
                "rss_before_bytes": self.rssBefore, "rss_all_open_bytes": self.rssAllOpen, "rss_peak_bytes": self.rssPeak,
                "rss_after_bytes": self.rssAfter, "rss_per_1000_streams_bytes": self.perThousandStreams,
            ]
        }
    }

    func run() async throws -> Report {
        var report = Report(
            name: self.name, streams: self.streams, chunks: self.chunks, chunkDelayMilliseconds: self.chunkDelayMilliseconds)
        report.rssBefore = self.process?.residentBytes ?? 0
        let started = ContinuousClock.now
        let opened = OpenStreams()
        let outcomes = await withTaskGroup(of: Int.self, returning: [Int: Int].self) { group in
            for index in 0..<self.streams {
                // Clients arrive over a ramp (1,000 per 250 ms), not in one instant: a burst of
                // ten thousand connects would measure the accept queue, not held streams.
                if index > 0 && index % 1000 == 0 { try? await Task.sleep(for: .milliseconds(250)) }
                group.addTask { await self.oneStream(opened: opened) }
            }
            return await group.reduce(into: [:]) { $0[$1, default: 0] += 1 }
        }
        let completed = outcomes[200] ?? 0
        report.failuresByStatus = outcomes.filter { $0.key != 200 }
        report.rssAllOpen = opened.residentBytesWhenAllOpen ?? self.process?.peakResidentBytes ?? 0
        report.seconds = started.duration(to: .now).seconds
        report.completed = completed
        report.failures = self.streams - report.completed
        report.rssPeak = self.process?.peakResidentBytes ?? 0
        // What a long-running process keeps: the lowest figure over the next 12 s, long enough
        // for the gateway's memory trimmer (every 5 s) to have handed back what it will.
        report.rssAfter = self.process?.residentBytes ?? 0
        for _ in 0..<12 {
            try await Task.sleep(for: .seconds(1))
            report.rssAfter = min(report.rssAfter, self.process?.residentBytes ?? 0)
        }
        return report
    }

    /// 200 for a stream that arrived whole, else its status (0: transport error, -1: cut short).
    private func oneStream(opened: OpenStreams) async -> Int {
        var request = LoadRunner.chatRequest(
            baseURL: self.url, credential: self.credential, stream: true, chunks: self.chunks,
            chunkDelayMilliseconds: self.chunkDelayMilliseconds)
        // Each stream's connection ends with it, as a burst of clients going away would: what the
        // server keeps afterwards is then its own doing, not idle keep-alive connections.
        request.headers.add(name: "connection", value: "close")
        do {
            let response = try await self.client.execute(request, timeout: .seconds(3600))
            guard response.status == .ok else { return Int(response.status.code) }
            var first = true
            var tail = ""
            for try await chunk in response.body {
                if first {
                    first = false
                    // The last stream to open samples the gateway's memory with all of them open.
                    if opened.increment() == self.streams {
                        opened.residentBytesWhenAllOpen = self.process?.residentBytes
                    }
                }
                tail = String(String(buffer: chunk).suffix(32))
            }
            return tail.hasSuffix("data: [DONE]\n\n") ? 200 : -1
        } catch {
            return 0
        }
    }
}

/// How many streams have their first chunk, and the memory sample taken when all of them do.
final class OpenStreams: Sendable {
    private let state = Mutex<(count: Int, sample: Int?)>((0, nil))

    func increment() -> Int {
        self.state.withLock { state in
            state.count += 1
            return state.count
        }
    }

    var residentBytesWhenAllOpen: Int? {
        get { self.state.withLock { $0.sample } }
        set { self.state.withLock { $0.sample = newValue } }
    }
}
