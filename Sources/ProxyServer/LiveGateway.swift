import Synchronization

/// The gateway that new requests get: replaced whole by a configuration reload (SIGHUP). A
/// request takes it once, when it arrives, and keeps that value to its end, so in-flight
/// requests and streams finish on the configuration they started with. A `Mutex`: every request
/// reads it, a reload writes it.
final class LiveGateway: Sendable {
    private let gateway: Mutex<Gateway>

    init(_ gateway: Gateway) {
        self.gateway = Mutex(gateway)
    }

    var current: Gateway { self.gateway.withLock { $0 } }

    func replace(with gateway: Gateway) {
        self.gateway.withLock { $0 = gateway }
    }
}
