import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// `--soak MINUTES`: mixed traffic through one gateway for a set time, then checks that nothing
/// was stranded. The traffic: whole answers and streams in both formats (translated ones
/// included), clients that leave mid-stream, upstream faults (500, a reset mid-stream, a stall,
/// a body that is not an event stream) and callers over their concurrency limit.
///
/// Passes when, after the traffic and a short settle: the gateway's RSS is within 10% of its
/// value just after the warm-up, its open file descriptors are back to their baseline,
/// `proxy_active_streams` is 0, and every credential can again fill all of its slots.
struct SoakRun {
    let client: HTTPClient
    let gatewayURL: String
    let process: ManagedProcess?
    let tokens: [String]
    /// Each credential's `per_token_concurrency`.
    let slotsPerCredential: Int
    let minutes: Double

    enum Kind: CaseIterable {
        case openAIWhole, openAIStream, anthropicWhole, anthropicStream, clientLeaves, fault500, faultReset, faultStall,
            faultMalformed, overLimit
    }

    struct Report {
        var minutes: Double
        var requests = 0
        var statusesByKind: [String: [Int: Int]] = [:]
        var rssAfterWarmup = 0
        var rssEnd = 0
        var fdsBaseline = 0
        var fdsEnd = 0
        var activeStreamsEnd = -1.0
        var slotsFree = false
        var unexpected = 0

        var rssGrowth: Double { Double(self.rssEnd - self.rssAfterWarmup) / Double(max(1, self.rssAfterWarmup)) }
        var passed: Bool {
            self.rssGrowth <= 0.10 && self.fdsEnd <= self.fdsBaseline && self.activeStreamsEnd == 0 && self.slotsFree
                && self.unexpected == 0
        }

        var text: String {
            let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_048_576) }
            let kinds = self.statusesByKind.sorted { $0.key < $1.key }.map { kind, statuses in
                "  \(kind): " + statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            }.joined(separator: "\n")
            return """
                == soak: \(String(format: "%.1f", self.minutes)) min of mixed traffic, \(self.requests) requests (0 = transport error, -1 = left by the client)
                \(kinds)
                RSS: after warm-up \(mb(self.rssAfterWarmup)), at the end \(mb(self.rssEnd)) (\(String(format: "%+.1f", self.rssGrowth * 100))%, limit +10%)
                open file descriptors: baseline \(self.fdsBaseline), at the end \(self.fdsEnd)
                proxy_active_streams at the end: \(Int(self.activeStreamsEnd)); every credential's slots free: \(self.slotsFree)
                unexpected answers: \(self.unexpected)
                soak \(self.passed ? "PASSED" : "FAILED")
                """
        }
    }

    private final class Tally: Sendable {
        let counts = Mutex<[String: [Int: Int]]>([:])
        let unexpected = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
        func add(_ kind: Kind, _ status: Int, expected: Bool) {
            self.counts.withLock { $0["\(kind)", default: [:]][status, default: 0] += 1 }
            if !expected { self.unexpected.add(1, ordering: .relaxed) }
            self.requests.add(1, ordering: .relaxed)
        }
    }

    func run() async throws -> Report {
        var report = Report(minutes: self.minutes)
        // Warm-up: a tenth of the run, at most a minute, measured against nothing.
        let warmup = min(60, self.minutes * 6)
        _ = await self.traffic(seconds: warmup, tally: Tally())
        try await self.settle()
        report.rssAfterWarmup = self.process?.residentBytes ?? 0
        report.fdsBaseline = self.openFileDescriptors()
        let tally = Tally()
        report.requests = await self.traffic(seconds: self.minutes * 60 - warmup, tally: tally)
        try await self.settle()
        report.statusesByKind = tally.counts.withLock { $0 }
        report.unexpected = tally.unexpected.load(ordering: .relaxed)
        report.rssEnd = self.process?.residentBytes ?? 0
        report.fdsEnd = self.openFileDescriptors()
        report.activeStreamsEnd = try await self.activeStreams()
        report.slotsFree = await self.everySlotIsFree()
        return report
    }

    /// Lets the gateway finish what the traffic left: idle keep-alive connections to the mock
    /// and from the clients close (both pools drop them after 60 s idle), and the memory trimmer
    /// runs (every 5 s).
    private func settle() async throws {
        try await Task.sleep(for: .seconds(65))
    }

    /// Runs the mix for `seconds` with one worker per slot of each credential, plus one worker
    /// on the first credential to keep it over its limit; returns the requests made so far in `tally`.
    private func traffic(seconds: Double, tally: Tally) async -> Int {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        await withTaskGroup(of: Void.self) { group in
            for (index, token) in self.tokens.enumerated() {
                for _ in 0..<self.slotsPerCredential {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        while ContinuousClock.now < deadline {
                            let kinds = Kind.allCases.filter { $0 != .overLimit }
                            let kind = kinds.randomElement(using: &generator)!
                            await self.one(kind, token: token, tally: tally)
                        }
                    }
                }
                // One more worker on the first credential keeps it over its limit.
                if index == 0 {
                    group.addTask {
                        while ContinuousClock.now < deadline {
                            await self.one(.overLimit, token: token, tally: tally)
                        }
                    }
                }
            }
        }
        return tally.requests.load(ordering: .relaxed)
    }

    private func one(_ kind: Kind, token: String, tally: Tally) async {
        let anthropic = kind == .anthropicWhole || kind == .anthropicStream
        let stream = ![.openAIWhole, .anthropicWhole, .overLimit].contains(kind)
        var request = HTTPClientRequest(url: self.gatewayURL + (anthropic ? "/v1/messages" : "/v1/chat/completions"))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        request.headers.add(name: "x-mock-chunks", value: "8")
        request.headers.add(name: "x-mock-chunk-delay-ms", value: "5")
        switch kind {
        case .fault500: request.headers.add(name: "x-mock-fault", value: "500")
        case .faultReset: request.headers.add(name: "x-mock-fault", value: "reset")
        case .faultStall: request.headers.add(name: "x-mock-fault", value: "stall-stream")
        case .faultMalformed: request.headers.add(name: "x-mock-fault", value: "malformed")
        default: break
        }
        let body =
            anthropic
            ? #"{"model":"gpt-soak","max_tokens":64,"stream":\#(stream),"messages":[{"role":"user","content":"soak"}]}"#
            : #"{"model":"gpt-soak","stream":\#(stream),"messages":[{"role":"user","content":"soak"}]}"#
        request.body = .bytes(ByteBuffer(string: body))
        let leavesEarly = kind == .clientLeaves || kind == .faultStall
        do {
            let response = try await self.client.execute(request, timeout: .seconds(60))
            var status = Int(response.status.code)
            var events = response.body.makeAsyncIterator()
            if leavesEarly {
                // Read the first event, then hang up: the gateway must cancel the upstream.
                _ = try await events.next()
                status = -1
            } else {
                while try await events.next() != nil {}
            }
            tally.add(kind, status, expected: Self.expects(kind, status))
        } catch {
            tally.add(kind, 0, expected: leavesEarly || kind == .faultReset)
        }
    }

    /// What each kind may answer; anything else counts as unexpected. A 503 may follow faults:
    /// the account's circuit opens for a while. A 429 may answer any kind: the first credential
    /// is kept over its limit, and a client that hung up may start its next request before the
    /// gateway has seen it leave (the final check proves that no slot stays held).
    static func expects(_ kind: Kind, _ status: Int) -> Bool {
        if status == 429 { return true }
        return switch kind {
        case .openAIWhole, .openAIStream, .anthropicWhole, .anthropicStream: [200, 503].contains(status)
        case .clientLeaves, .faultStall: [-1, 503].contains(status)
        case .fault500: [500, 503].contains(status)
        case .faultReset: [200, 502, 503].contains(status)
        case .faultMalformed: [502, 503].contains(status)
        case .overLimit: [200, 503].contains(status)
        }
    }

    private func openFileDescriptors() -> Int {
        guard let pid = self.process?.pid else { return 0 }
        return (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    private func activeStreams() async throws -> Double {
        let response = try await self.client.execute(HTTPClientRequest(url: self.gatewayURL + "/metrics"), timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 24))
        for line in text.split(separator: "\n") where line.hasPrefix("proxy_active_streams") {
            return Double(line.split(separator: " ").last ?? "") ?? -1
        }
        return -1
    }

    /// Every credential fills all its slots at once: a slot stranded by the soak would turn one
    /// of these into a 429.
    private func everySlotIsFree() async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for token in self.tokens {
                for _ in 0..<self.slotsPerCredential {
                    group.addTask {
                        let request = LoadRunner.chatRequest(
                            baseURL: self.gatewayURL, credential: token, stream: true, chunks: 4, chunkDelayMilliseconds: 200)
                        guard let response = try? await self.client.execute(request, timeout: .seconds(60)) else { return false }
                        _ = try? await response.body.collect(upTo: 1 << 20)
                        return response.status == .ok
                    }
                }
            }
            return await group.allSatisfy { $0 }
        }
    }
}
