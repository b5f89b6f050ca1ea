import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

// The framework floor: the 30-line pass-through issue #3 starts from (collect the body,
// `execute` it upstream, stream the answer back), on the same Hummingbird, AsyncHTTPClient and
// executor set-up as the gateway, without auth, limits, quotas, metrics or logs.
// scripts/bench-nginx.sh measures it beside the gateway and nginx, so the gateway's own cost
// can be told apart from its stack's.
//
//   proxy-floor UPSTREAM_URL PORT      (PORT 0: any free port, printed as `listening on`)

_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
guard CommandLine.arguments.count == 3, let port = Int(CommandLine.arguments[2]) else {
    print("usage: proxy-floor UPSTREAM_URL PORT")
    exit(64)
}
let upstream = CommandLine.arguments[1]
var configuration = HTTPClient.Configuration()
configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
configuration.tracing.tracer = nil
let client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)

let router = Router()
router.post("**") { request, context -> Response in
    var forwarded = HTTPClientRequest(url: upstream + request.uri.path)
    forwarded.method = .POST
    // The mock's x-mock-* headers shape its answer (chunk count and delay).
    for field in request.headers where field.name == .contentType || field.name.canonicalName.hasPrefix("x-mock-") {
        forwarded.headers.add(name: field.name.canonicalName, value: field.value)
    }
    forwarded.body = .bytes(try await request.body.collect(upTo: 1 << 20))
    let answer = try await client.execute(forwarded, timeout: .seconds(3600))
    var headers = HTTPFields()
    headers[.contentType] = answer.headers.first(name: "content-type")
    return Response(
        status: .init(code: Int(answer.status.code)),
        headers: headers,
        body: .init { writer in
            for try await chunk in answer.body { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
    )
}
let app = Application(
    router: router,
    // The gateway's accept queue, so a burst of clients meets the same kernel limit in both.
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil, backlog: 4096),
    // The line proxy-bench and scripts wait for, as proxy-server and proxy-mock print it.
    onServerRunning: { channel in
        let line = "proxy-floor listening on 127.0.0.1:\(channel.localAddress?.port ?? port)\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
)
try await app.runService()
