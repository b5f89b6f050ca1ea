import Foundation

/// A calendar month in the quota's time zone: counts reset on the 1st at midnight there.
public struct QuotaPeriod: Sendable, Hashable, CustomStringConvertible {
    /// `YYYY-MM`, the key counts are stored under.
    public let key: String
    /// Unix seconds of the first instant of the month, and of the next month.
    public let startsAt: Double
    public let resetsAt: Double

    public var description: String { self.key }

    public init(key: String, startsAt: Double, resetsAt: Double) {
        self.key = key
        self.startsAt = startsAt
        self.resetsAt = resetsAt
    }
}

/// Which month an instant falls in, for a time zone (`quota.timezone`).
public struct QuotaCalendar: Sendable {
    private let calendar: Calendar

    /// Nil for a time zone name the system does not know.
    public init?(timeZone identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    public func period(at unixSeconds: Double) -> QuotaPeriod {
        let date = Date(timeIntervalSince1970: unixSeconds)
        let parts = self.calendar.dateComponents([.year, .month], from: date)
        let start = self.calendar.date(from: parts) ?? date
        let next = self.calendar.date(byAdding: .month, value: 1, to: start) ?? date
        let key = String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
        return QuotaPeriod(key: key, startsAt: start.timeIntervalSince1970, resetsAt: next.timeIntervalSince1970)
    }
}
