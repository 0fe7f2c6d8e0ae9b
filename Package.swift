// swift-tools-version: 6.1
import PackageDescription

// Module graph (arrows: "depends on"). Only MailslotEngine touches libev and does mailslot
// I/O through libc; the load tester's lab and the CLI also start processes (namespaces, iperf2,
// agents) and handle signals through Glibc.
//
//   mailslot (CLI) ──> MailslotEngine ──> CLibEv (libev, system library), swift-log, swift-metrics
//        │                  ├──────────> MailslotRing
//        │                  ├──────────> MailslotWire (MS-MAIL codec, pure)
//        │                  └──────────> MailslotCore
//        ├──> MailslotLoadTest ──> MailslotEngine, MailslotSupport, MailslotCharts, HdrHistogram
//        ├──> MailslotServiceLifecycle ──> MailslotEngine, swift-service-lifecycle
//        ├──> MailslotPrometheus ──> MailslotEngine (its small TCP server), swift-prometheus,
//        │                           swift-service-lifecycle
//        └──> MailslotSupport (process spawning, clock, JSON quoting, file reading; also used
//             by the tests' support module and the benchmarks)
//   libmailslot (C) ──> MailslotC ──> MailslotEngine, CMailslotAPI (the C headers)
//
// The core library (MailslotEngine and below) carries no service framework and no HTTP
// server: an embedder opts into each.
// MAILSLOT_SANITIZER_BUILD=address|thread (scripts/sanitize.sh) declares only the libraries and
// the test targets that sanitizer runs: no CLI, no load tester, no Prometheus, and for
// AddressSanitizer no service lifecycle either (ThreadSanitizer runs its graceful-shutdown
// tests). The sanitizer builds then skip the CLI's dependency graph (ArgumentParser,
// Prometheus, HdrHistogram; for ASan also swift-collections and
// swift-async-algorithms), over a third of each build. The tests find the `mailslot` processes
// they start in the debug build (MAILSLOT_TOOLS_DIRECTORY).
let sanitizer = Context.environment["MAILSLOT_SANITIZER_BUILD"]
/// The commit `--version` and JSON outputs name: `$MAILSLOT_COMMIT` (the build scripts set it:
/// scripts/commit.sh), else SwiftPM's view of the checkout (cached with the manifest, so a plain
/// `swift build` after a new commit may name the one before), else "unknown".
let commit: String = {
    if let given = Context.environment["MAILSLOT_COMMIT"], !given.isEmpty { return given }
    guard let git = Context.gitInformation else { return "unknown" }
    return String(git.currentCommit.prefix(12)) + (git.hasUncommittedChanges ? "-dirty" : "")
}()
/// Only outside the sanitizer subsets.
func full<T>(_ items: [T]) -> [T] { sanitizer == nil ? items : [] }
/// Only where the service lifecycle is built (everywhere but the ASan subset).
func lifecycle<T>(_ items: [T]) -> [T] { sanitizer == "address" ? [] : items }

let package = Package(
    name: "swift-mailslot",
    products: [
        .library(name: "MailslotCore", targets: ["MailslotCore"]),
        .library(name: "MailslotRing", targets: ["MailslotRing"]),
        .library(name: "MailslotWire", targets: ["MailslotWire"]),
        .library(name: "MailslotEngine", targets: ["MailslotEngine"]),
        // The C library's Swift side, for Swift packages that link it in (the benchmark's C
        // library rows).
        .library(name: "MailslotC", targets: ["MailslotC"]),
        // Process spawning, the monotonic clock, JSON quoting and file reading for the tools,
        // tests and benchmarks: one copy of each. Internal helpers, not a stable API.
        .library(name: "MailslotSupport", targets: ["MailslotSupport"]),
    ] + lifecycle([
        .library(name: "MailslotServiceLifecycle", targets: ["MailslotServiceLifecycle"]),
    ]) + full([
        // libmailslot: the native C API (<mailslot/mailslot.h>) and the Win32 mailslot API
        // (<mailslot/win32.h>), exported from Swift. scripts/install.sh builds it with the
        // Swift runtime linked in and installs it as libmailslot.so with headers and .pc files.
        // (Not in the sanitizer subsets: they test the library in their own processes.)
        .library(name: "mailslot-c", type: .dynamic, targets: ["MailslotC"]),
        .library(name: "MailslotPrometheus", targets: ["MailslotPrometheus"]),
        .library(name: "MailslotLoadTest", targets: ["MailslotLoadTest"]),
        // Line and bar charts as inline SVG in a self-contained XHTML page: the load tester's
        // report and the benchmark's (pure Swift, no dependency).
        .library(name: "MailslotCharts", targets: ["MailslotCharts"]),
        .executable(name: "mailslot", targets: ["mailslot"]),
        // Declared so that the benchmark package's release build (the one scripts/package.sh
        // packs) can build it.
        .executable(name: "mailslot-netlogon-responder", targets: ["mailslot-netlogon-responder"]),
    ]),
    dependencies: [
        // The engine logs what it cannot report through a return value (failed receives,
        // relays, forwards; corrupt shared-memory rings), rate-limited: a small, standard API.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Counters and gauges for whatever metrics backend the embedding service bootstraps.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ] + lifecycle([
        // Graceful shutdown in a ServiceGroup (SIGTERM): MailslotServiceLifecycle only.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ]) + full([
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // /metrics for `serve|relay --metrics` and embedders who want it: MailslotPrometheus
        // only. Its HTTP is the engine's one-request TCP server: no HTTP library, so no
        // Foundation networking (URLSession, libcurl) in a static binary, and no SwiftNIO build.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `swift package generate-documentation` (the DocC catalog); a plugin, built only when used.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // One-way latency histograms of `mailslot loadtest` (MailslotLoadTest only).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ]),
    targets: [
        .systemLibrary(name: "CLibEv", path: "CLibEv", providers: [.apt(["libev-dev"])]),
        .target(name: "MailslotCore"),
        // The version and commit of this build (MailslotSupport's BuildInfo).
        .target(name: "CMailslotBuildInfo", dependencies: ["CMailslotAPI"], cSettings: [.define("MAILSLOT_COMMIT", to: "\"\(commit)\"")]),
        .target(name: "MailslotSupport", dependencies: ["CMailslotBuildInfo"]),
        // Test (debug) builds check the ring's invariants on every operation.
        .target(name: "MailslotRing", swiftSettings: [.define("MAILSLOT_INTERNAL_CHECKS", .when(configuration: .debug))]),
        .target(name: "MailslotWire"),
        .target(name: "MailslotCharts"),
        .target(
            name: "MailslotEngine",
            dependencies: [
                "CLibEv", "MailslotCore", "MailslotRing", "MailslotWire", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // The C library's hand-written headers (and its per-thread last error), and the Swift
        // that exports every function they declare.
        .target(name: "CMailslotAPI", path: "Sources/CMailslotAPI"),
        .target(
            name: "MailslotC",
            dependencies: ["CMailslotAPI", "MailslotEngine", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "MailslotTestSupport", dependencies: ["MailslotSupport"], path: "Tests/MailslotTestSupport"),
        .testTarget(name: "MailslotRingTests", dependencies: ["MailslotRing", "MailslotSupport", "MailslotTestSupport"]),
        .testTarget(
            name: "MailslotEngineTests",
            dependencies: [
                "MailslotEngine", "MailslotC", "MailslotTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ] + full(["mailslot", "mailslot-netlogon-responder"]),
            exclude: ["Interop"]
        ),
    ] + lifecycle([
        .target(
            name: "MailslotServiceLifecycle",
            dependencies: ["MailslotEngine", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "MailslotServiceLifecycleTests",
            dependencies: [
                "MailslotServiceLifecycle", "MailslotTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ] + full(["mailslot", "mailslot-example-service"])
        ),
    ]) + full([
        .target(
            name: "MailslotPrometheus",
            dependencies: [
                "MailslotEngine", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `mailslot loadtest`: agents, the coordinator, its reports and the namespace lab.
        .target(
            name: "MailslotLoadTest",
            dependencies: ["MailslotEngine", "MailslotSupport", "MailslotCharts", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .executableTarget(
            name: "mailslot",
            dependencies: [
                "MailslotEngine", "MailslotServiceLifecycle", "MailslotPrometheus", "MailslotLoadTest", "MailslotSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The README's example: a ServiceGroup with a stream consumer and Prometheus metrics.
        .executableTarget(
            name: "mailslot-example-service",
            dependencies: [
                "MailslotServiceLifecycle", "MailslotPrometheus", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // An example on the public API only: the NETLOGON responder smbtorture talks to.
        .executableTarget(name: "mailslot-netlogon-responder", dependencies: ["MailslotEngine", "MailslotSupport"]),
        .testTarget(name: "MailslotCoreTests", dependencies: ["MailslotCore"]),
        .testTarget(name: "MailslotChartsTests", dependencies: ["MailslotCharts", "MailslotTestSupport"]),
        .testTarget(name: "MailslotWireTests", dependencies: ["MailslotWire"], exclude: ["Vectors", "Fuzz"]),
        // C programs built with cc against the installed library (scripts/install.sh), run as
        // processes beside Swift ones.
        .testTarget(
            name: "MailslotCTests",
            dependencies: ["MailslotTestSupport", "mailslot"],
            exclude: ["Programs"]
        ),
        // The release (scripts/package.sh's dist/): the tarball without a toolchain, the .deb
        // through lintian, dpkg and systemd-analyze, man pages and completions; and the release
        // benchmark's --compare and --report.
        .testTarget(name: "MailslotReleaseTests", dependencies: ["MailslotTestSupport"]),
        .testTarget(
            name: "MailslotLoadTestTests",
            dependencies: ["MailslotLoadTest", "MailslotTestSupport", "mailslot"]
        ),
    ])
)
