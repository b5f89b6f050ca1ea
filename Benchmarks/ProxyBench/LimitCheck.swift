import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Has every user send twice its allowed concurrency at once, on streams slow enough to still
/// be open when the last request arrives, and checks exactly the allowed number is admitted.
struct LimitCheck {
    let client: HTTPClient
    let gatewayURL: String
    let tokens: [String]
    let allowed: Int

    struct Result {
        var admittedPerUser: [Int]
        var refusedPerUser: [Int]
        var allowed: Int
        var passed: Bool { self.admittedPerUser.allSatisfy { $0 == self.allowed } }
        var text: String {
            """
            == limit check: \(self.admittedPerUser.count) users, each sending \(self.allowed * 2) requests at once, \(self.allowed) allowed in flight
            admitted per user: \(self.admittedPerUser)
            refused (429) per user: \(self.refusedPerUser)
            \(self.passed ? "PASS: exactly \(self.allowed) admitted per user" : "FAIL: admissions differ from the limit")
            """
        }
    }

    func run() async -> Result {
        var admitted = Array(repeating: 0, count: self.tokens.count)
        var refused = Array(repeating: 0, count: self.tokens.count)
        await withTaskGroup(of: (Int, Int).self) { group in
            for (user, token) in self.tokens.enumerated() {
                for _ in 0..<(self.allowed * 2) {
                    group.addTask { (user, await self.one(token: token)) }
                }
            }
            for await (user, status) in group {
                if status == 200 { admitted[user] += 1 } else if status == 429 { refused[user] += 1 }
            }
        }
        return Result(admittedPerUser: admitted, refusedPerUser: refused, allowed: self.allowed)
    }

    private func one(token: String) async -> Int {
        // Events five seconds apart: an admitted stream stays open for about ten, which the
        // burst takes a fraction of however loaded the machine.
        let request = LoadRunner.chatRequest(
            baseURL: self.gatewayURL, credential: token, stream: true, chunks: 2, chunkDelayMilliseconds: 5000)
        do {
            let response = try await self.client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return 0
        }
    }
}
