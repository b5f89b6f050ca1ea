import Foundation
import Logging
import ProxyEngine
import Synchronization
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct TextLogLineTests {
    func event(_ message: Logger.Message) -> LogEvent {
        LogEvent(level: .info, message: message, metadata: nil, source: "test", file: "f", function: "g", line: 1)
    }

    @Test func aNewlineInAValueCannotForgeALine() {
        let line = TextLogHandler.line(
            self.event("login failed"), label: "proxy", metadata: [("user", "eve\n2026-01-01T00:00:00Z info proxy : admin logged in")])
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line.hasSuffix("\n"))
        #expect(line.contains(#"user=eve\n2026"#))
    }

    @Test func controlCharactersAreEscapedAndLinesCapped() {
        #expect(TextLogHandler.escaped("a\u{1b}[31mb\rc\u{2028}") == #"a\u{1b}[31mb\rc\u{2028}"#)
        let line = TextLogHandler.line(self.event("x"), label: "proxy", metadata: [("v", .string(String(repeating: "v", count: 100_000)))])
        #expect(line.utf8.count < TextLogHandler.maximumLineBytes + 64)
    }
}

@Suite(.timeLimit(.minutes(5))) struct KeyDirectoryTests {
    static let active = VirtualKey(id: "k1", name: "k", user: "u", hash: "h", prefix: "sk-", createdAt: 0)

    @Test func aLookupThatStartedBeforeARevokeCannotCacheTheOldKey() async throws {
        let (started, startedSink) = AsyncStream<Void>.makeStream()
        let (release, releaseSink) = AsyncStream<Void>.makeStream()
        let reads = Atomic<Int>(0)
        let directory = KeyDirectory(ttlSeconds: 30, capacity: 100) { _ in
            reads.add(1, ordering: .relaxed)
            startedSink.yield()
            for await _ in release { break }
            return Self.active
        }
        let slowLookup = Task { try await directory.key(hash: "h", now: 0) }
        for await _ in started { break }
        directory.changed(hash: "h", key: nil, now: 0)
        releaseSink.yield()
        #expect(try await slowLookup.value == Self.active, "it started before the revoke")
        #expect(try await directory.key(hash: "h", now: 1) == nil, "the revoke stays cached")
        #expect(reads.load(ordering: .relaxed) == 1)
    }

    @Test func twentyTimesMoreRandomKeysThanItsCapacityDoNotEvictAValidKeyInUse() async throws {
        let validReads = Atomic<Int>(0)
        let directory = KeyDirectory(ttlSeconds: 30, capacity: 1_000) { hash in
            guard hash == "valid" else { return nil }
            validReads.add(1, ordering: .relaxed)
            return Self.active
        }
        #expect(try await directory.key(hash: "valid", now: 0) == Self.active)
        for index in 0..<20_000 {
            let now = 1 + Double(index) / 1_000
            _ = try await directory.key(hash: "random-\(index)", now: now)
            if index % 100 == 0 { #expect(try await directory.key(hash: "valid", now: now) == Self.active) }
        }
        #expect(directory.cachedCount <= 1_000)
        #expect(validReads.load(ordering: .relaxed) == 1, "the key in use stayed cached: no database read per flood")
    }
}
