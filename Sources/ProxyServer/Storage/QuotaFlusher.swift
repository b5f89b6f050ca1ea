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
    let store: any StateStore
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
        let write = Task { await flusher.flush(returningLeases: true) }
        let deadline = Task {
            try await Task.sleep(for: Self.finalFlushTimeout)
            write.cancel()
        }
        await write.value
        deadline.cancel()
    }

    static let finalFlushTimeout = Duration.seconds(10)

    /// `returningLeases`: at shutdown, unused quota units go back to a shared store, so that
    /// the other instances can use them.
    func flush(returningLeases: Bool = false) async {
        if self.quota.shared != nil {
            do {
                try await self.quota.synchronize(returningAllLeases: returningLeases)
            } catch {
                self.logger.debug("writing shared quota counts failed; kept for the next flush")
            }
        }
        let batches = self.quota.takeDirty()
        if !batches.isEmpty {
            do {
                try await self.store.save(batches, at: Int(Date().timeIntervalSince1970))
            } catch {
                self.failed("writing quota counts failed; kept for the next flush", error)
                self.quota.restore(batches)
            }
        }
        let records = self.usageLog.take()
        if !records.isEmpty {
            do {
                try await self.store.save(records)
            } catch {
                self.failed("writing usage records failed; kept for the next flush", error)
                self.usageLog.restore(records)
            }
        }
    }

    /// An outage of a shared store was logged once by `StateStoreService`; each flush that
    /// fails during it is not worth another line.
    private func failed(_ message: Logger.Message, _ error: any Error) {
        if self.store.sharedLimits?.isAvailable == false {
            self.logger.debug(message)
        } else {
            self.logger.error(message, metadata: ["error": "\(error)"])
        }
    }
}
