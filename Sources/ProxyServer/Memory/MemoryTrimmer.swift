import AsyncAlgorithms
import CMalloc
import Foundation
import Logging
import ProxyEngine
import ServiceLifecycle

/// Hands memory a finished burst freed back to the system, when `MemoryTrimPolicy` says it pays.
/// It takes two readings every `interval` (the resident set and the allocator's in-use bytes)
/// until graceful shutdown.
/// Where the allocator's figures cannot be read (not glibc), it does nothing.
struct MemoryTrimmer: Service {
    let interval: Duration
    let logger: Logger

    func run() async throws {
        guard cmalloc_in_use_bytes() >= 0 else {
            // A service that returns early stops the application: wait for shutdown instead.
            try? await gracefulShutdown()
            return
        }
        var policy = MemoryTrimPolicy()
        let ticks = AsyncTimerSequence(interval: self.interval, clock: .continuous)
        for await _ in ticks.cancelOnGracefulShutdown() {
            guard let resident = Self.residentBytes() else { continue }
            guard policy.shouldRelease(residentBytes: resident, inUseBytes: Int(cmalloc_in_use_bytes())) else { continue }
            cmalloc_trim()
            let after = Self.residentBytes() ?? resident
            policy.released(residentBytes: after, inUseBytes: Int(cmalloc_in_use_bytes()))
            self.logger.debug(
                "returned freed memory to the system",
                metadata: ["resident_before_mb": "\(resident >> 20)", "resident_after_mb": "\(after >> 20)"]
            )
        }
    }

    /// The process's resident set, from /proc/self/statm (its second field, in pages).
    static func residentBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
