import Foundation
import NIOCore
import ProxyEngine

/// `proxy-bench --hostile-bodies`: what the request checks cost on the bodies issue #22 found
/// quadratic, in this process's CPU time, up to the default 10 MiB body limit; and what the
/// secret scrubber costs per megabyte of answer and per streamed event.
enum HostileBodies {
    static func run() -> String {
        var lines = ["== hostile bodies: CPU time of the gateway's request checks, this process"]
        lines.append("  distinct top-level keys (request summary, duplicate-key check):")
        for keys in [5_000, 20_000, 60_000, 1_000_000] {
            let body = Self.manyKeys(keys)
            let seconds = Self.cpuSeconds { _ = try? CompletionRequestSummary(body: body) }
            lines.append("    \(Self.pad(keys)) keys, \(Self.megabytes(body)) MB: \(Self.format(seconds))")
        }
        lines.append("  members of one object, Anthropic request translated to OpenAI:")
        for members in [20_000, 80_000, 1_000_000] {
            let body = Self.bigObject(members)
            let seconds = Self.cpuSeconds {
                var bridge = FormatBridge(caller: .anthropic, upstream: .openAI)
                _ = try? bridge.upstreamBody(body, upstreamModel: "gpt-x", isAliased: false)
            }
            lines.append("    \(Self.pad(members)) members, \(Self.megabytes(body)) MB: \(Self.format(seconds))")
        }
        lines.append("  secret scrubber (no secret in the text; the common case):")
        let megabyte = ByteBuffer(string: String(repeating: "The quick brown fox jumps over the lazy dog; sk-not-a-key. ", count: 18_000))
        let event = ByteBuffer(
            string:
                #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"token "},"finish_reason":null}]}"#
                + "\n\n")
        for secrets in [1, 8, 64] {
            let scrubber = SecretScrubber(secrets: (0..<secrets).map { "sk-proj-\($0)-" + String(repeating: "k", count: 40) })
            let perMegabyte = Self.cpuSeconds(repeat: 20) { _ = scrubber.scrub(megabyte) } / Double(megabyte.readableBytes) * 1_048_576
            let perEvent = Self.cpuSeconds(repeat: 100_000) { _ = scrubber.scrub(event) }
            lines.append(
                "    \(Self.pad(secrets)) secrets: \(Self.format(perMegabyte)) per MB, \(String(format: "%.0f ns", perEvent * 1e9)) per \(event.readableBytes)-byte event"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `{"model":"m","messages":[...],"0000":0,"0001":0,...}` with `count` distinct four-letter
    /// keys: ten bytes a key, so a million fit in the default 10 MiB limit.
    static func manyKeys(_ count: Int) -> ByteBuffer {
        var body = ByteBuffer(string: #"{"model":"gpt-x","messages":[{"role":"user","content":"hi"}]"#)
        for index in 0..<count { body.writeString(",\"\(Self.fourLetters(index))\":0") }
        body.writeString("}")
        return body
    }

    private static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    static func fourLetters(_ index: Int) -> String {
        var value = index
        var letters: [Character] = []
        for _ in 0..<4 {
            letters.append(Self.alphabet[value % Self.alphabet.count])
            value /= Self.alphabet.count
        }
        return String(letters)
    }

    /// An Anthropic request whose `metadata` object has `count` members.
    static func bigObject(_ count: Int) -> ByteBuffer {
        var body = ByteBuffer(string: #"{"model":"claude-x","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"metadata":{"#)
        for index in 0..<count { body.writeString((index > 0 ? "," : "") + "\"\(Self.fourLetters(index))\":0") }
        body.writeString("}}")
        return body
    }

    /// Mean CPU seconds (user and system) of one call of `work`.
    static func cpuSeconds(repeat count: Int = 1, _ work: () -> Void) -> Double {
        let start = Self.processCPU()
        for _ in 0..<count { work() }
        return (Self.processCPU() - start) / Double(count)
    }

    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func format(_ seconds: Double) -> String {
        seconds >= 1 ? String(format: "%.2f s", seconds) : String(format: "%.2f ms", seconds * 1e3)
    }

    static func megabytes(_ buffer: ByteBuffer) -> String { String(format: "%.2f", Double(buffer.readableBytes) / 1_048_576) }

    static func pad(_ count: Int) -> String { String(repeating: " ", count: max(0, 9 - String(count).count)) + String(count) }
}
