// swift-tools-version: 6.1
// The benchmarks live in their own package so that the root package builds and tests fast
// (ordo-one/benchmark alone adds a minute to a clean build).
import PackageDescription

let package = Package(
    name: "mailslot-benchmarks",
    platforms: [.macOS(.v13)],
    // SwiftNIOBaseline: scenario f's SwiftNIO receiver. LabScenario: scenario g's hosts (the
    // load tester's namespace lab). Both on by default; the soak and the gates
    // (scripts/soak.sh, scripts/bench-gates.sh) build without them, so the test command builds
    // neither SwiftNIO nor the load tester in release.
    traits: [
        .default(enabledTraits: ["SwiftNIOBaseline", "LabScenario"]),
        .trait(name: "SwiftNIOBaseline", description: "The SwiftNIO DatagramChannel baseline of scenario f."),
        .trait(name: "LabScenario", description: "Scenario g: domain broadcasts to hosts in network namespaces."),
    ],
    dependencies: [
        .package(name: "swift-mailslot", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The SwiftNIO DatagramChannel receiver: what a Swift user would write instead.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The baselines, in plain C: an AF_UNIX datagram pair and a POSIX message-queue pair,
        // plus the per-message tally that every receiver (ours included) runs.
        .target(name: "CBaselines"),
        // Scenario a's C library rows: C code on libmailslot's Win32 and native APIs (the
        // package's MailslotC, linked in), one message per call.
        .target(
            name: "CLibraryRows",
            dependencies: ["CBaselines", .product(name: "MailslotC", package: "swift-mailslot")]
        ),
        .executableTarget(
            name: "mailslot-bench",
            dependencies: [
                "CBaselines", "CLibraryRows",
                .product(name: "MailslotEngine", package: "swift-mailslot"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MailslotWire", package: "swift-mailslot"),
                .product(name: "MailslotSupport", package: "swift-mailslot"),
                // --report's plots: the load tester's chart code.
                .product(name: "MailslotCharts", package: "swift-mailslot"),
                // Scenario g's hosts: the lab of `mailslot loadtest lab`.
                .product(name: "MailslotLoadTest", package: "swift-mailslot", condition: .when(traits: ["LabScenario"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["SwiftNIOBaseline"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["SwiftNIOBaseline"])),
            ]
        ),
        // The steady-state workloads: timed by MailslotMicro, their allocations counted by
        // mailslot-gates.
        .target(
            name: "MicroWorkloads",
            dependencies: [
                .product(name: "MailslotEngine", package: "swift-mailslot"),
                .product(name: "MailslotRing", package: "swift-mailslot"),
            ]
        ),
        // The malloc gates of the test command (scripts/bench-gates.sh): its own allocation
        // counter (CMallocCounter), so the gates build nothing beyond the engine and the soak's.
        .target(name: "CMallocCounter"),
        .executableTarget(name: "mailslot-gates", dependencies: ["CMallocCounter", "MicroWorkloads"]),
        .executableTarget(
            name: "MailslotMicro",
            dependencies: [
                "MicroWorkloads",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MailslotEngine", package: "swift-mailslot"),
            ],
            path: "Benchmarks/MailslotMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
