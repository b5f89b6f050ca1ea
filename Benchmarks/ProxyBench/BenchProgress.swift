import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a run is doing right now: the live line on a terminal (elapsed time, requests per
/// second, errors, streams open, the gateway's RSS), and the RSS samples the HTML report draws.
/// Atomics: every request of every worker counts here.
final class BenchProgress: Sendable {
    private let requests = Atomic<Int>(0)
    private let errors = Atomic<Int>(0)
    private let openStreams = Atomic<Int>(0)
    private let samples = Mutex<[(seconds: Double, residentBytes: Int)]>([])
    private let started = ContinuousClock.now
    private let residentBytes: @Sendable () -> Int?
    /// The live line is for people: only when standard output is a terminal.
    let showsLiveLine: Bool

    init(residentBytes: @escaping @Sendable () -> Int?, showsLiveLine: Bool = isatty(STDOUT_FILENO) == 1) {
        self.residentBytes = residentBytes
        self.showsLiveLine = showsLiveLine
    }

    func requestEnded(failed: Bool) {
        self.requests.add(1, ordering: .relaxed)
        if failed { self.errors.add(1, ordering: .relaxed) }
    }

    func streamOpened() { self.openStreams.add(1, ordering: .relaxed) }
    func streamClosed() { self.openStreams.subtract(1, ordering: .relaxed) }

    /// The gateway's RSS over the run, seconds from its start.
    var residentSamples: [(seconds: Double, residentBytes: Int)] { self.samples.withLock { $0 } }

    /// Samples every second until cancelled; prints the live line when on a terminal.
    func run() async {
        var lastRequests = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let elapsed = self.started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rss = self.residentBytes()
            if let rss { self.samples.withLock { $0.append((seconds, rss)) } }
            let requests = self.requests.load(ordering: .relaxed)
            if self.showsLiveLine {
                let line = String(
                    format: "\r\u{1B}[2K%6.0f s  %8d req/s  %6d errors  %5d streams open  gateway RSS %@", seconds, requests - lastRequests,
                    self.errors.load(ordering: .relaxed), self.openStreams.load(ordering: .relaxed),
                    rss.map { String(format: "%.1f MB", Double($0) / 1_048_576) } ?? "-")
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            lastRequests = requests
        }
        if self.showsLiveLine { FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
