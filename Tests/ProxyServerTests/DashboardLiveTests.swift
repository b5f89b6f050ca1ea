import AsyncHTTPClient
import Foundation
import MockUpstream
import NIOCore
import NIOHTTP1
import ProxyEngine
import Testing

@testable import ProxyServer

/// The admin routes behind the dashboard, and the page's own headers. (The page itself is
/// driven in a real browser by Tests/compat/test_dashboard.py.)
@Suite(.timeLimit(.minutes(5))) struct DashboardLiveTests {
    func get(_ harness: LiveHarness, _ path: String) async throws -> [String: Any] {
        let response = try await harness.send(harness.request(.GET, path, bearer: LiveHarness.adminKey))
        #expect(response.status == 200, "\(path): \(response.body)")
        return try #require(try JSONTestObject.parse(response.body))
    }

    @Test func overviewUsersAndSeriesCountTheTraffic() async throws {
        try await LiveHarness.run { (harness) async throws in
            let utcDay = { Int(Date().timeIntervalSince1970) / 86_400 }
            let firstDay = utcDay()
            for _ in 0..<3 { #expect(try await harness.send(harness.chatRequest(LiveHarness.body())).status == 200) }
            #expect(try await harness.send(harness.chatRequest(LiveHarness.body(model: "nope-model"))).status == 404)
            await harness.flushUsage()
            let overview = try await self.get(harness, "/admin/overview")
            #expect(overview["store"] as? String == "up")
            // "Today" and "this month" start again at UTC midnight: a run across it counts apart.
            if utcDay() == firstDay {
                #expect((overview["today"] as? [String: Any])?["requests"] as? Int == 3)
                #expect((overview["month"] as? [String: Any])?["tokens"] as? Int ?? 0 > 0)
            }
            #expect(overview["in_flight"] as? Int == 0)
            let users = try #require((try await self.get(harness, "/admin/users"))["data"] as? [[String: Any]])
            #expect(users.count == 1)
            #expect(users.first?["username"] as? String == "tester")
            #expect(users.first?["requests"] as? Int == 3)
            #expect(users.first?["monthly_requests"] as? Int == 1000)
            for bucket in ["hour", "day"] {
                let series = try await self.get(harness, "/admin/usage/series?bucket=\(bucket)&user=tester")
                let data = try #require(series["data"] as? [[String: Any]])
                #expect(data.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == 3)
            }
            let nobody = try await self.get(harness, "/admin/usage/series?user=nobody")
            #expect((nobody["data"] as? [Any])?.isEmpty == true)
            let refused = try await harness.send(harness.request(.GET, "/admin/usage/series?bucket=week", bearer: LiveHarness.adminKey))
            #expect(refused.status == 400)
        }
    }

    @Test func anAccountCooledDownShowsUntilWhenAndCanBeReEnabled() async throws {
        try await LiveHarness.run { (harness) async throws in
            let cooled = try await harness.send(
                harness.chatRequest(LiveHarness.body(), headers: [("x-mock-fault", "429"), ("x-mock-retry-after", "300")]))
            #expect(cooled.status == 429)
            let accounts = try #require((try await self.get(harness, "/admin/accounts"))["data"] as? [[String: Any]])
            #expect(accounts.first?["reason"] as? String == "rate limited")
            #expect(accounts.first?["until"] as? Int ?? 0 > Int(Date().timeIntervalSince1970) + 200)
            let enabled = try await harness.send(
                harness.request(.POST, "/admin/accounts/mock-upstream/acct-1/enable", bearer: LiveHarness.adminKey))
            #expect(enabled.status == 200)
            let after = try #require((try await self.get(harness, "/admin/accounts"))["data"] as? [[String: Any]])
            #expect(after.first?["healthy"] as? Bool == true)
            let unknown = try await harness.send(
                harness.request(.POST, "/admin/accounts/mock-upstream/nope/enable", bearer: LiveHarness.adminKey))
            #expect(unknown.status == 404)
            #expect(try await harness.send(harness.request(.GET, "/admin/users")).status == 401)
        }
    }

    @Test func thePageAndItsFilesCarryAStrictPolicy() async throws {
        try await LiveHarness.run { (harness) async throws in
            for (path, type) in [("/dashboard", "text/html"), ("/dashboard/app.js", "text/javascript"), ("/dashboard/app.css", "text/css")]
            {
                let response = try await harness.send(HTTPClientRequest(url: harness.baseURL + path))
                #expect(response.status == 200)
                #expect(response.headers.first(name: "content-type")?.hasPrefix(type) == true)
                let policy = response.headers.first(name: "content-security-policy") ?? ""
                #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"))
                #expect(response.headers.first(name: "x-content-type-options") == "nosniff")
            }
            let page = try await harness.send(HTTPClientRequest(url: harness.baseURL + "/dashboard")).body
            for id in [
                "admin-key", "sign-in", "sign-in-error", "users-table", "usage-chart", "accounts-table", "keys-table", "new-key-name",
                "new-key-user", "create-key", "created-key",
            ] {
                #expect(page.contains(#"data-testid="\#(id)""#), "\(id)")
            }
        }
    }
}
