import Benchmark
import MailslotEngine
import MicroWorkloads

// Micro-benchmarks on ordo-one/benchmark: name parsing, and the steady-state workloads (the
// ring; a message's way through the engine per transport) timed with their allocations. The
// same workloads' allocation gates run in the test command without this package's tool:
// mailslot-gates (scripts/bench-gates.sh). Run: `swift package benchmark` in Benchmarks/.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    // Parsing and validating a full local name with a path (allocates: it builds strings).
    Benchmark("NameParsing") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? MailslotName("\\\\.\\mailslot\\services\\telemetry\\ingest"))
        }
    }

    for workload in MicroWorkload.steadyState {
        let configuration: Benchmark.Configuration? = workload.perThousand ? nil : .init(scalingFactor: .one, maxIterations: 2_000)
        Benchmark(workload.name, configuration: configuration ?? Benchmark.defaultConfiguration) { benchmark in
            let run = try workload.prepare()
            benchmark.startMeasurement()
            try run.run(benchmark.scaledIterations.count)
            benchmark.stopMeasurement()
            run.finish()
        }
    }
}
