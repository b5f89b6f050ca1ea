// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "swift-llm-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "proxy-server", targets: ["ProxyServer"]),
        .executable(name: "proxy-mock", targets: ["ProxyMock"]),
        .executable(name: "proxy-bench", targets: ["ProxyBench"]),
        .executable(name: "proxy-floor", targets: ["ProxyFloor"]),
        .executable(name: "proxy-fuzz", targets: ["ProxyFuzz"]),
        .library(name: "ProxyEngine", targets: ["ProxyEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Micro-benchmarks only (Benchmarks/HotPath): malloc and instruction counts per operation.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The domain: routing, SSE framing, limits, quotas, errors. No sockets, no networking package.
        .target(
            name: "ProxyEngine",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration files: TOML decoded into a validated `GatewayConfig`. Its own module so
        // that the fuzzer can reach it (an executable target cannot be depended on).
        .target(
            name: "ProxyConfig",
            dependencies: [
                "ProxyEngine",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The upstream HTTP/1.1 client: keep-alive pools on SwiftNIO's codec and TLS (see
        // `UpstreamTransport` for why it is not AsyncHTTPClient).
        .target(
            name: "UpstreamTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // glibc's malloc statistics and trim, which the Glibc module does not export.
        .target(name: "CMalloc"),
        // The HTTP edge, upstream transport, CLI and config loading.
        .executableTarget(
            name: "ProxyServer",
            dependencies: [
                "ProxyEngine",
                "UpstreamTransport",
                "ProxyConfig",
                "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MockUpstream",
            dependencies: [
                "ProxyEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            path: "Benchmarks/MockUpstream",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ProxyMock",
            dependencies: [
                "MockUpstream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/ProxyMock",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ProxyBench",
            dependencies: [
                "MockUpstream",
                "ProxyEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/ProxyBench",
            swiftSettings: swiftSettings
        ),
        // The bare Hummingbird + AsyncHTTPClient pass-through the gateway is measured against.
        .executableTarget(
            name: "ProxyFloor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Benchmarks/ProxyFloor",
            swiftSettings: swiftSettings
        ),
        // The request path's pieces under package-benchmark: allocations and instructions per
        // operation, checked against Thresholds/ by scripts/micro-bench.sh.
        .executableTarget(
            name: "HotPath",
            dependencies: [
                "ProxyEngine",
                "MockUpstream",
                "UpstreamTransport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/HotPath",
            exclude: ["Thresholds"],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // What every test target's waits share: deadlines that observe cancellation.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "UpstreamTransportTests",
            dependencies: [
                "UpstreamTransport",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProxyEngineTests",
            dependencies: ["ProxyEngine", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets for what parses hostile bytes. A plain build replays the corpora in
        // Fuzz/corpus (a regression test); `scripts/fuzz.sh` builds it with -sanitize=fuzzer.
        .executableTarget(
            name: "ProxyFuzz",
            dependencies: ["ProxyEngine", "ProxyConfig"],
            path: "Benchmarks/ProxyFuzz",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProxyServerTests",
            dependencies: [
                "ProxyServer",
                "TestSupport",
                "ProxyConfig",
                "MockUpstream",
                "CMalloc",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
