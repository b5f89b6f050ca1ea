import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import Synchronization

/// What one arm (direct to the mock, or through the gateway) measured.
struct ArmResult: Sendable {
    var name: String
    var requests = 0
    var seconds = 0.0
    /// Whole-request latency, microseconds.
    var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    /// Time to the first body byte of streams, microseconds.
    var timeToFirstByte = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    /// Time between two body chunks of a stream, microseconds.
    var chunkGap = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    var statuses: [Int: Int] = [:]
    var brokenStreams = 0
    var transportErrors = 0
    /// Server-sent events received (blank lines), over every stream.
    var events = 0
    /// User and system CPU its proxy process spent on the arm (the mock's, for the direct arm).
    var cpuSeconds: Double?

    /// CPU per request, microseconds.
    var cpuPerRequest: Double? { self.cpuSeconds.map { self.requests > 0 ? $0 * 1e6 / Double(self.requests) : 0 } }
    /// CPU per streamed event, microseconds.
    var cpuPerEvent: Double? { self.cpuSeconds.map { self.events > 0 ? $0 * 1e6 / Double(self.events) : 0 } }

    var throughput: Double { self.seconds > 0 ? Double(self.requests) / self.seconds : 0 }
    var failures: Int { self.statuses.filter { $0.key != 200 }.values.reduce(0, +) + self.brokenStreams + self.transportErrors }

    mutating func merge(_ other: ArmResult) {
        self.events += other.events
        self.requests += other.requests
        self.latency.add(other.latency)
        self.timeToFirstByte.add(other.timeToFirstByte)
        self.chunkGap.add(other.chunkGap)
        self.statuses.merge(other.statuses, uniquingKeysWith: +)
        self.brokenStreams += other.brokenStreams
        self.transportErrors += other.transportErrors
    }
}

/// The load: `users` × `concurrencyPerUser` closed-loop workers, each sending one request after
/// another until the request budget or the time is spent.
struct LoadShape: Sendable {
    enum Mix: String, Sendable, CaseIterable {
        case nonStreaming = "non-streaming", streaming, mixed
        /// Streamed Responses-API requests: to an `openai` provider with `responses_api =
        /// "native"` (passed through), and to one without (translated to Chat Completions).
        case responsesNative = "responses-native", responsesTranslated = "responses-translated"

        var isResponses: Bool { self == .responsesNative || self == .responsesTranslated }
    }
    var mix: Mix
    var users: Int
    var concurrencyPerUser: Int
    var duration: Double
    /// Total requests, when set, instead of `duration`.
    var requests: Int?
    var chunks: Int
    var chunkDelayMilliseconds: Int
    /// The non-streaming Chat Completions body to send, instead of the short default.
    var body: ByteBuffer?
    /// `body` to a model of a provider of another format: the scenario also measures the
    /// gateway translating it (the `translated` arm).
    var translatedBody: ByteBuffer?
    var workers: Int { self.users * self.concurrencyPerUser }
}

struct LoadRunner {
    let client: HTTPClient
    /// The live counters of the whole run, when it shows progress or writes a report.
    var progress: BenchProgress?

    func run(arm name: String, baseURL: String, shape: LoadShape, credential: @escaping @Sendable (Int) -> String?) async -> ArmResult {
        await self.run(arm: name, baseURLs: [baseURL], shape: shape, credential: credential)
    }

    /// Spreads the requests over `baseURLs` in turn (several gateway instances behind the bench's
    /// own round-robin).
    func run(arm name: String, baseURLs: [String], shape: LoadShape, credential: @escaping @Sendable (Int) -> String?) async
        -> ArmResult
    {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(shape.duration * 1000))
        let budget = RequestBudget(total: shape.requests)
        var result = ArmResult(name: name)
        await withTaskGroup(of: ArmResult.self) { group in
            for worker in 0..<shape.workers {
                let user = worker % max(1, shape.users)
                group.addTask {
                    var local = ArmResult(name: name)
                    var sequence = 0
                    while budget.take(), shape.requests != nil || ContinuousClock.now < deadline {
                        let stream =
                            switch shape.mix {
                            case .nonStreaming: false
                            case .streaming, .responsesNative, .responsesTranslated: true
                            case .mixed: (worker + sequence) % 2 == 0
                            }
                        let baseURL = baseURLs[(worker + sequence) % baseURLs.count]
                        sequence += 1
                        await self.one(baseURL: baseURL, stream: stream, shape: shape, credential: credential(user), into: &local)
                    }
                    return local
                }
            }
            for await partial in group { result.merge(partial) }
        }
        result.seconds = started.duration(to: .now).seconds
        return result
    }

    static func body(stream: Bool) -> ByteBuffer {
        ByteBuffer(
            string: #"{"model":"gpt-bench","stream":\#(stream),"messages":[{"role":"user","content":"Benchmark prompt: say something."}]}"#)
    }

    /// A Responses-API body: `native-bench` routes to the native provider, `gpt-bench` to the
    /// translated one.
    static func responsesBody(native: Bool) -> ByteBuffer {
        ByteBuffer(
            string:
                #"{"model":"\#(native ? "native-bench" : "gpt-bench")","stream":true,"store":false,"input":"Benchmark prompt: say something."}"#
        )
    }

    /// A Chat Completions request of the bench, shaped at the mock by `x-mock-*` (the gateway
    /// forwards those to it: `forward_headers`).
    static func chatRequest(
        baseURL: String, credential: String?, stream: Bool, chunks: Int, chunkDelayMilliseconds: Int, mix: LoadShape.Mix? = nil
    ) -> HTTPClientRequest {
        let responses = mix?.isResponses == true
        var request = HTTPClientRequest(url: baseURL + (responses ? "/v1/responses" : "/v1/chat/completions"))
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "x-mock-chunks", value: String(chunks))
        request.headers.add(name: "x-mock-chunk-delay-ms", value: String(chunkDelayMilliseconds))
        if let credential { request.headers.add(name: "authorization", value: "Bearer \(credential)") }
        request.body = .bytes(responses ? Self.responsesBody(native: mix == .responsesNative) : Self.body(stream: stream))
        return request
    }

    private static func request(for shape: LoadShape, baseURL: String, credential: String?, stream: Bool) -> HTTPClientRequest {
        var request = Self.chatRequest(
            baseURL: baseURL, credential: credential, stream: stream, chunks: shape.chunks,
            chunkDelayMilliseconds: shape.chunkDelayMilliseconds, mix: shape.mix)
        if let body = shape.body, !stream, !shape.mix.isResponses { request.body = .bytes(body) }
        return request
    }

    private func one(baseURL: String, stream: Bool, shape: LoadShape, credential: String?, into result: inout ArmResult) async {
        let request = Self.request(for: shape, baseURL: baseURL, credential: credential, stream: stream)
        let started = ContinuousClock.now
        do {
            let response = try await self.client.execute(request, timeout: .seconds(120))
            let status = Int(response.status.code)
            result.statuses[status, default: 0] += 1
            if stream { self.progress?.streamOpened() }
            defer { if stream { self.progress?.streamClosed() } }
            var firstChunkAt: ContinuousClock.Instant?
            var lastChunkAt = started
            var tail = ByteBuffer()
            var total = 0
            var lastWasNewline = false
            for try await var chunk in response.body {
                if stream { result.events += Self.blankLines(in: chunk, lastWasNewline: &lastWasNewline) }
                let now = ContinuousClock.now
                if firstChunkAt == nil {
                    firstChunkAt = now
                } else {
                    _ = result.chunkGap.record(Self.microseconds(lastChunkAt.duration(to: now)))
                }
                lastChunkAt = now
                total += chunk.readableBytes
                // Only the end is checked: keep the last few bytes.
                if chunk.readableBytes >= 64 {
                    tail = chunk.getSlice(at: chunk.readerIndex + chunk.readableBytes - 64, length: 64)!
                } else {
                    tail.writeBuffer(&chunk)
                    if tail.readableBytes > 64 { tail.moveReaderIndex(forwardBy: tail.readableBytes - 64) }
                }
            }
            result.requests += 1
            _ = result.latency.record(Self.microseconds(started.duration(to: .now)))
            if stream, let firstChunkAt {
                _ = result.timeToFirstByte.record(Self.microseconds(started.duration(to: firstChunkAt)))
            }
            var failed = status != 200
            if status == 200 {
                let end = String(buffer: tail)
                // A Responses stream ends with `response.completed`, whose data is the response.
                let intact =
                    shape.mix.isResponses ? end.hasSuffix("}}\n\n") : stream ? end.hasSuffix("data: [DONE]\n\n") : end.hasSuffix("}")
                if !intact || total == 0 {
                    result.brokenStreams += 1
                    failed = true
                }
            }
            self.progress?.requestEnded(failed: failed)
        } catch {
            result.transportErrors += 1
            self.progress?.requestEnded(failed: true)
        }
    }

    /// The events that end in `chunk`: each `\n\n`, one split between two chunks included.
    static func blankLines(in chunk: ByteBuffer, lastWasNewline: inout Bool) -> Int {
        chunk.withUnsafeReadableBytes { bytes in
            var count = 0
            var previous = lastWasNewline
            for byte in bytes {
                let isNewline = byte == UInt8(ascii: "\n")
                if isNewline && previous { count += 1 }
                previous = isNewline && !previous
            }
            lastWasNewline = previous
            return count
        }
    }

    static func microseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.seconds * 1_000_000))
    }
}

/// A shared request count for `--requests`: each worker takes one before each request.
final class RequestBudget: Sendable {
    private let remaining: Mutex<Int?>

    init(total: Int?) { self.remaining = Mutex(total) }

    func take() -> Bool {
        self.remaining.withLock { remaining in
            guard let left = remaining else { return true }
            guard left > 0 else { return false }
            remaining = left - 1
            return true
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
