import NIOCore

/// A Chat Completions request shaped as an agent's, of about a given size: a system prompt,
/// then turns of code and prose whose strings carry the escapes (`\n`, `\"`) and the non-ASCII
/// text that real context has. What `proxy-bench --body-kb` sends and the summary-scan
/// micro-benchmark reads.
public enum AgentRequestBody {
    public static func chatCompletions(kilobytes: Int, model: String = "gpt-bench") -> ByteBuffer {
        let target = kilobytes * 1024
        let line = #"    let value = compute(\"item\", index: 42) // the context an agent resends every turn, é ✓\n"#
        var body = ByteBuffer(string: #"{"model":"\#(model)","stream":false,"max_tokens":256,"messages":["#)
        var turn = 0
        // Turns of at most 8 KB, until the body is within a line of the target.
        while turn == 0 || body.readableBytes + 64 < target {
            if turn > 0 { body.writeString(",") }
            let role = turn == 0 ? "system" : turn % 2 == 1 ? "user" : "assistant"
            body.writeString(#"{"role":"\#(role)","content":""#)
            let room = min(8192, target - body.readableBytes - 8)
            for _ in 0..<max(1, room / line.utf8.count) { body.writeString(line) }
            body.writeString(#""}"#)
            turn += 1
        }
        body.writeString("]}")
        return body
    }
}
