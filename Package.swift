// swift-tools-version:6.0
// botbridge: a self-hosted bot-bridge gateway. Zero package dependencies by design:
// only Foundation, Glibc/Dispatch/Synchronization, and the system libraries sqlite3, curl and libpq.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "botbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "botbridge", targets: ["botbridge"]),
    ],
    targets: [
        // C at the edge: module maps and typed static-inline shims, nothing else.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // epoll and eventfd, which Swift's Glibc module does not export.
        .systemLibrary(name: "CLinux"),

        .target(name: "Logging", swiftSettings: strict),
        .target(name: "HTTP", dependencies: ["CLinux", "Logging"], swiftSettings: strict),
        .target(name: "HTTPClient", dependencies: ["CCurl", "Logging"], swiftSettings: strict),
        .target(name: "Signing", swiftSettings: strict),
        // RFC 6455 client: frames, handshake, ping/pong and close over plain TCP or libcurl's TLS stream.
        .target(name: "WebSocket", dependencies: ["CCurl", "CLinux", "Signing", "Logging"], swiftSettings: strict),
        // Discord's wire protocol: the Gateway session (identify, heartbeat, resume), interactions, REST rate limits.
        .target(name: "Discord", dependencies: ["WebSocket", "HTTPClient", "Signing", "Logging"], swiftSettings: strict),
        .target(name: "Templates", dependencies: ["Signing"], swiftSettings: strict),
        .target(name: "Storage", dependencies: ["CSQLite", "CLibpq", "Logging"], swiftSettings: strict),
        .target(name: "Bridge", dependencies: ["Storage", "Signing", "Templates", "HTTPClient", "HTTP", "Discord", "Logging"], swiftSettings: strict),
        .executableTarget(name: "botbridge", dependencies: ["Bridge", "Discord", "Storage", "Signing", "HTTP", "HTTPClient", "Logging"], swiftSettings: strict),
        // Benchmark only (bench/client.sh): drives HTTPClient against a local server. Not a product.
        .executableTarget(name: "client-load", dependencies: ["HTTPClient"], path: "bench/ClientLoad", swiftSettings: strict),
        // Benchmark only (bench/outbox.sh): outbox throughput and group commit. Not a product.
        .executableTarget(name: "outbox-load", dependencies: ["Bridge", "Storage", "Signing", "HTTPClient"], path: "bench/OutboxLoad", swiftSettings: strict),
        // Benchmark only (bench/roundtrip.sh): inbound webhook → sync bot → provider, end to end. Not a product.
        .executableTarget(name: "roundtrip-load", dependencies: ["HTTP", "HTTPClient", "Signing"], path: "bench/RoundTripLoad", swiftSettings: strict),
        // Benchmark only (bench/kb.sh): knowledge-base search latency and handoff packet build time. Not a product.
        .executableTarget(name: "kb-load", dependencies: ["Bridge", "Storage"], path: "bench/KnowledgeBaseLoad", swiftSettings: strict),
        // Benchmark only (bench/render.sh): template parse and render time. Not a product.
        .executableTarget(name: "render-load", dependencies: ["Templates"], path: "bench/TemplateRenderLoad", swiftSettings: strict),

        // Test support only: a throw-away PostgreSQL server per test process. Not a product.
        .target(name: "TestSupport", dependencies: ["Storage", "WebSocket"], path: "Tests/TestSupport", swiftSettings: strict),

        .testTarget(name: "LoggingTests", dependencies: ["Logging"], swiftSettings: strict),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Logging"], swiftSettings: strict),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTP", "Logging"], swiftSettings: strict),
        .testTarget(name: "SigningTests", dependencies: ["Signing"], swiftSettings: strict),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "TestSupport", "Logging"], swiftSettings: strict),
        .testTarget(name: "DiscordTests", dependencies: ["Discord", "WebSocket", "TestSupport", "HTTP", "HTTPClient", "Signing", "Logging"], swiftSettings: strict),
        // GoldenLiquid/: the vendored conformance suite, read from the source tree by the tests.
        .testTarget(name: "TemplatesTests", dependencies: ["Templates"], exclude: ["GoldenLiquid"], swiftSettings: strict),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Logging", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "BridgeTests", dependencies: ["Bridge", "Storage", "Templates", "TestSupport", "Signing", "HTTP", "HTTPClient", "Logging"], swiftSettings: strict),
        .testTarget(name: "botbridgeTests", dependencies: ["botbridge", "Bridge", "Storage", "TestSupport", "CLinux", "HTTP", "HTTPClient", "Signing", "WebSocket", "Logging"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
