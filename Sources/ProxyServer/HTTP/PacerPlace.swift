import ProxyEngine

/// A request's place in its provider's upstream queue (`requests_per_second`): how long it
/// waits, and the start it reserved, given back if it leaves before its turn.
struct PacerPlace {
    private(set) var wait = 0.0
    private var reserved: (pacer: UpstreamPacer, start: Double)?

    /// No hop when the provider is not paced.
    mutating func reserve(_ pacer: UpstreamPacer) async throws(GatewayError) {
        guard pacer.requestsPerSecond > 0 else { return }
        let reservation = try await pacer.reserveStart()
        self.wait = reservation.wait
        if reservation.wait > 0 { self.reserved = (pacer, reservation.start) }
    }

    func giveBack() async {
        if let reserved { await reserved.pacer.giveBack(start: reserved.start) }
    }
}
