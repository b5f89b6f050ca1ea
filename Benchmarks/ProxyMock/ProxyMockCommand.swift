import ArgumentParser
import Hummingbird
import Logging
import MockUpstream
import ServiceLifecycle

@main
struct ProxyMockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-mock",
        abstract: "A mock LLM upstream (OpenAI wire format, streaming and not) with fault injection.",
        discussion: """
            Per request, headers override the flags: x-mock-chunks, x-mock-chunk-delay-ms, \
            x-mock-latency-ms, x-mock-fault (500 | 429 | reset | stall | stall-stream | malformed). \
            GET /mock/stats returns counters as JSON.
            """
    )

    @Option(help: "Port to listen on (0 = any free port).") var port: Int = 9000
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(name: .customLong("latency-ms"), help: "Delay before the answer starts.") var latencyMilliseconds: Int = 0
    @Option(help: "Content chunks per answer.") var chunks: Int = 8
    @Option(name: .customLong("chunk-delay-ms"), help: "Delay between streamed events.") var chunkDelayMilliseconds: Int = 0
    @Option(name: .customLong("fail-rate"), help: "Share of requests (0...1) answered with a fault.") var failRate: Double = 0
    @Option(help: "Faults to draw from, comma-separated: 500,429,reset,stall,stall-stream,malformed.")
    var faults: String = "500"
    @Flag(name: .customLong("oauth-single-use-refresh"), help: "Refresh tokens work once, as a rotating provider's do.")
    var oauthSingleUseRefresh = false
    @Option(name: .customLong("oauth-expires-in"), help: "expires_in of issued OAuth access tokens, seconds.")
    var oauthExpiresIn: Int = 3600

    func validate() throws {
        guard (0...1).contains(self.failRate) else { throw ValidationError("--fail-rate must be between 0 and 1") }
        guard self.chunks > 0 else { throw ValidationError("--chunks must be greater than 0") }
        for name in self.faults.split(separator: ",") where MockUpstreamBehaviour.Fault(rawValue: String(name)) == nil {
            throw ValidationError("unknown fault '\(name)'")
        }
    }

    func run() async throws {
        var logger = Logger(label: "proxy-mock")
        logger.logLevel = .warning
        let behaviour = MockUpstreamBehaviour(
            latencyMilliseconds: self.latencyMilliseconds,
            chunks: self.chunks,
            chunkDelayMilliseconds: self.chunkDelayMilliseconds,
            failRate: self.failRate,
            faults: self.faults.split(separator: ",").compactMap { MockUpstreamBehaviour.Fault(rawValue: String($0)) }
        )
        var configured = behaviour
        configured.oauthSingleUseRefreshTokens = self.oauthSingleUseRefresh
        configured.oauthExpiresInSeconds = self.oauthExpiresIn
        let app = MockUpstreamServer(behaviour: configured).application(host: self.host, port: self.port, logger: logger) { port in
            announceListening(host: self.host, port: port)
        }
        try await app.runService()
    }
}
