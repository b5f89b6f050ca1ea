import ProxyEngine

/// What a request was charged on admission, to give back when the gateway refuses it before
/// any upstream attempt (a full or slow upstream queue, no account in rotation, a client that
/// left while queued): a request that never reached a provider costs its caller nothing.
struct AdmissionRefund {
    var quota: (manager: QuotaManager, subject: String)?
    var minute: (limiter: MinuteLimiter, user: String)?
    /// A reserved start time in the provider's upstream queue.
    var pacer: (pacer: UpstreamPacer, start: Double)?

    func perform() async {
        if let quota { await quota.manager.refund(subject: quota.subject) }
        if let minute { await minute.limiter.refund(user: minute.user) }
        if let pacer { await pacer.pacer.giveBack(start: pacer.start) }
    }
}
