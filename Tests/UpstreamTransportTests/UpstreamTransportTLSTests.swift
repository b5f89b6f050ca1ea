import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

@testable import UpstreamTransport

@Suite(.timeLimit(.minutes(5)))
struct UpstreamTransportTLSTests {
    /// A transport that trusts the test CA only (not the system's roots).
    func transport() throws -> UpstreamTransport {
        var configuration = UpstreamTransport.Configuration()
        configuration.tls.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(TestCertificates.caCertificate.utf8), format: .pem)
        ])
        return UpstreamTransport(configuration: configuration)
    }

    @Test func aCertificateForTheHostFromATrustedCAIsAccepted() async throws {
        let tls = try TestUpstreamServer.tlsContext(certificate: TestCertificates.localhostCertificate, key: TestCertificates.localhostKey)
        let server = try await TestUpstreamServer.start(tls: tls) { _ in .ok("secure") }
        let transport = try self.transport()
        let host = try transport.host(UpstreamEndpoint(host: "localhost", port: server.port, usesTLS: true))
        let response = try await host.execute(path: "/", headers: [:])
        #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "secure")
        transport.shutdown()
        try await server.stop()
    }

    @Test func aCertificateForAnotherHostIsRefused() async throws {
        let tls = try TestUpstreamServer.tlsContext(certificate: TestCertificates.wrongHostCertificate, key: TestCertificates.wrongHostKey)
        let server = try await TestUpstreamServer.start(tls: tls) { _ in .ok("must not arrive") }
        let transport = try self.transport()
        let host = try transport.host(UpstreamEndpoint(host: "localhost", port: server.port, usesTLS: true))
        await #expect(throws: NIOSSLExtraError.self) { _ = try await host.execute(path: "/", headers: [:]) }
        transport.shutdown()
        try await server.stop()
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let tls = try TestUpstreamServer.tlsContext(certificate: TestCertificates.untrustedCertificate, key: TestCertificates.untrustedKey)
        let server = try await TestUpstreamServer.start(tls: tls) { _ in .ok("must not arrive") }
        let transport = try self.transport()
        let host = try transport.host(UpstreamEndpoint(host: "localhost", port: server.port, usesTLS: true))
        await #expect(throws: NIOSSLError.self) { _ = try await host.execute(path: "/", headers: [:]) }
        transport.shutdown()
        try await server.stop()
    }
}
