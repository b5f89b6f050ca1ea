import AsyncAlgorithms
import Foundation
import Logging
import ProxyEngine
import ServiceLifecycle

/// Writes quota counts and usage records behind the requests: every `quota.flush_interval_seconds`, whenever
/// `quota.flush_every_requests` admissions are unwritten, and once more at shutdown. It is a
/// service of the HTTP application, which stops its services after the server has drained, so
/// the final write holds every request the server answered.
struct QuotaFlusher: Service {
    let quota: QuotaManager
    let usageLog: UsageLog
    let store: StateStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let ticks = AsyncTimerSequence(interval: self.interval, clock: .continuous).map { _ in () }
        for await _ in merge(ticks, self.quota.flushRequests).cancelOnGracefulShutdown() {
            await self.flush()
        }
        await self.finalFlush()
    }

    /// The last write, at shutdown. When shutdown outlasts its grace the service group cancels
    /// this task, and a write in a cancelled task throws `CancellationError` (the counts of every
    /// request since the last flush would be lost): so it runs in a task of its own, which
    /// does not inherit the cancellation, bounded by `finalFlushTimeout` instead.
    func finalFlush() async {
        let flusher = self
        let write = Task { await flusher.flush() }
        let deadline = Task {
            try await Task.sleep(for: Self.finalFlushTimeout)
            write.cancel()
        }
        await write.value
        deadline.cancel()
    }

    static let finalFlushTimeout = Duration.seconds(10)

    func flush() async {
        let batches = self.quota.takeDirty()
        if !batches.isEmpty {
            do {
                try await self.store.save(batches, at: Int(Date().timeIntervalSince1970))
            } catch {
                self.logger.error("writing quota counts failed; kept for the next flush", metadata: ["error": "\(error)"])
                self.quota.restore(batches)
            }
        }
        let records = self.usageLog.take()
        if !records.isEmpty {
            do {
                try await self.store.save(records)
            } catch {
                self.logger.error("writing usage records failed; kept for the next flush", metadata: ["error": "\(error)"])
                self.usageLog.restore(records)
            }
        }
    }
}
