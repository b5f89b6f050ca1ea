import Logging
import ProxyEngine
import ServiceLifecycle

/// The state store as a service of the application: runs its background work, hands the other
/// instances' changes to the gateway, watches whether it answers (`proxy_store_up`, one log
/// line per outage, not per request) and closes it last, after the flusher's final write.
/// Registered before `QuotaFlusher`, so that the service group stops it after the flusher.
struct StateStoreService: Service {
    let live: LiveGateway
    let logger: Logger
    /// Reads the configuration again (SIGHUP's reload), for accounts another instance changed.
    var reload: (@Sendable () async -> Void)?
    var probeInterval = Duration.seconds(1)

    func run() async throws {
        let gateway = self.live.current
        let store = gateway.store
        let (events, sink) = AsyncStream<StoreEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await store.runBackground { sink.yield($0) } }
            group.addTask { await self.handle(events) }
            await cancelWhenGracefulShutdown { await self.watch(store, metrics: gateway.metrics) }
            group.cancelAll()
        }
        await store.close()
    }

    private func handle(_ events: AsyncStream<StoreEvent>) async {
        for await event in events {
            if event == .accountsChanged {
                await self.reload?()
            } else {
                self.live.current.handle(event)
            }
        }
    }

    /// Probes the store every `probeInterval` until the task is cancelled.
    private func watch(_ store: any StateStore, metrics: GatewayMetrics) async {
        var wasUp = true
        while !Task.isCancelled {
            let up = await store.isReachable()
            if up != wasUp {
                metrics.setStoreUp(up)
                if up {
                    self.logger.warning("state store answers again; queued counts are being written")
                } else {
                    self.logger.warning(
                        "state store unreachable: serving known callers from cache, quotas from the last known counts plus a bounded allowance"
                    )
                }
                wasUp = up
            }
            try? await Task.sleep(for: self.probeInterval)
        }
    }
}

extension Gateway {
    /// Another instance changed something this one caches or holds.
    func handle(_ event: StoreEvent) {
        switch event {
        case .keyChanged(let hash): self.authenticator.keys.invalidate(hash: hash, now: self.now())
        case .allKeysStale: self.authenticator.keys.invalidateAll(now: self.now())
        case .quotaExhausted(let subject): self.quota.reclaim(subject: subject)
        case .accountsChanged, .slotsWanted: break
        }
    }
}
