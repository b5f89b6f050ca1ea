import ArgumentParser
import Foundation
import NIOCore
import ProxyEngine

struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Print usage records and totals from the state store (the same as GET /admin/usage)."
    )

    @OptionGroup var options: ConfigOption
    @Option(help: "Only this user.") var user: String?
    @Option(help: "Only this virtual key id.") var key: String?
    @Option(help: "Only this model.") var model: String?
    @Option(help: "From this unix time on.") var since: Double?
    @Option(help: "Before this unix time.") var until: Double?
    @Option(help: "At most this many records (newest first).") var limit: Int = 50
    @Flag(help: "Print JSON, as the admin API does.") var json = false

    func run() async throws {
        let (_, store) = try await KeysCommand.open(self.options)
        let filter = UsageFilter(
            user: self.user, keyID: self.key, model: self.model, since: self.since, until: self.until, limit: self.limit)
        let (records, totals) = try await store.usage(filter)
        if self.json {
            print(String(buffer: UsageReport.json(records: records, totals: totals)))
            return
        }
        print(
            "requests \(totals.requests), prompt tokens \(totals.promptTokens), completion tokens \(totals.completionTokens), estimated \(totals.estimatedRequests), cost $\(Microdollars.dollars(totals.costMicrodollars))"
        )
        for record in records {
            let time = Date(timeIntervalSince1970: record.at).formatted(.iso8601)
            print(
                "\(time)  \(record.user)  \(record.keyID ?? "-")  \(record.model)  \(record.provider)/\(record.account)  \(record.status)  \(record.promptTokens)+\(record.completionTokens)\(record.estimated ? " (estimated)" : "")  \(record.priced ? "$" + Microdollars.dollars(record.costMicrodollars) : "unpriced")  \(String(format: "%.1f", record.latencyMilliseconds)) ms"
            )
        }
    }
}
