// swift-tools-version: 6.1
import PackageDescription

// Module graph (arrows: "depends on"); only MailslotEngine touches libc and libev.
//
//   mailslot (CLI) ──> MailslotEngine ──> CLibEv (libev, system library), swift-log, swift-metrics
//                           ├──────────> MailslotRing
//                           ├──────────> MailslotWire (MS-MAIL codec, pure)
//                           └──────────> MailslotCore
let package = Package(
    name: "swift-mailslot",
    products: [
        .library(name: "MailslotCore", targets: ["MailslotCore"]),
        .library(name: "MailslotRing", targets: ["MailslotRing"]),
        .library(name: "MailslotWire", targets: ["MailslotWire"]),
        .library(name: "MailslotEngine", targets: ["MailslotEngine"]),
        .executable(name: "mailslot", targets: ["mailslot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The engine logs what it cannot report through a return value (failed receives,
        // relays, forwards; corrupt shared-memory rings), rate-limited: a small, standard API.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Counters and gauges for whatever metrics backend the embedding service bootstraps.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibEv", path: "CLibEv", providers: [.apt(["libev-dev"])]),
        .target(name: "MailslotCore"),
        // Test (debug) builds check the ring's invariants on every operation.
        .target(name: "MailslotRing", swiftSettings: [.define("MAILSLOT_INTERNAL_CHECKS", .when(configuration: .debug))]),
        .target(name: "MailslotWire"),
        .target(
            name: "MailslotEngine",
            dependencies: [
                "CLibEv", "MailslotCore", "MailslotRing", "MailslotWire", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "mailslot",
            dependencies: [
                "MailslotEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // An example on the public API only: the NETLOGON responder smbtorture talks to.
        .executableTarget(name: "mailslot-netlogon-responder", dependencies: ["MailslotEngine"]),
        .target(name: "MailslotTestSupport", path: "Tests/MailslotTestSupport"),
        .testTarget(name: "MailslotCoreTests", dependencies: ["MailslotCore"]),
        .testTarget(name: "MailslotRingTests", dependencies: ["MailslotRing", "MailslotTestSupport"]),
        .testTarget(name: "MailslotWireTests", dependencies: ["MailslotWire"], exclude: ["Vectors", "Fuzz"]),
        .testTarget(
            name: "MailslotEngineTests",
            dependencies: [
                "MailslotEngine", "MailslotTestSupport", "mailslot", "mailslot-netlogon-responder",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            exclude: ["Interop"]
        ),
    ]
)
