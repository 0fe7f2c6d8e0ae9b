import Benchmark
import Glibc
import Synchronization
import MailslotEngine
import MailslotRing

// Micro-benchmarks of the ring, name parsing and engine dispatch.
//
// The malloc gates: the steady-state benchmarks (Ring*, EngineDispatch*, DatagramService*, SharedMemory*) must allocate nothing
// once warmed up. Thresholds/ holds `mallocCountTotal: 0` for each of them, checked by
// `swift package benchmark thresholds check` (scripts/bench-gates.sh, run by CI).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    // One 424 B message: claim, fill, commit, borrowed read, consume.
    Benchmark("RingRoundTrip424") { benchmark in
        var ring = DatagramRing(quota: 1 << 20)
        let payload = [UInt8](repeating: 7, count: 424)
        // Warm up: the first claim allocates the ring's storage.
        ringRoundTrip(&ring, payload, times: 64)
        benchmark.startMeasurement()
        ringRoundTrip(&ring, payload, times: benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
    }

    // A recvmmsg-sized batch: 32 slots of 424 B claimed, committed and drained.
    Benchmark("RingBatch32x424") { benchmark in
        var ring = DatagramRing(quota: 1 << 20)
        ringBatch(&ring, batches: 8)
        benchmark.startMeasurement()
        ringBatch(&ring, batches: benchmark.scaledIterations.count)
        benchmark.stopMeasurement()
    }

    // Parsing and validating a full local name with a path (allocates: it builds strings).
    Benchmark("NameParsing") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? MailslotName("\\\\.\\mailslot\\services\\telemetry\\ingest"))
        }
    }

    Benchmark(
        // Through a real socket in one process: a batched write of 8 × 424 B, then the loop:
        // recvmmsg into the ring, the callback with a borrowed view, consume.
        "EngineDispatch8x424",
        configuration: .init(scalingFactor: .one, maxIterations: 2_000)
    ) { benchmark in
        let engine = try MailslotEngine()
        let name = try MailslotName(localPath: "micro\\dispatch\\\(getpid())")
        let server = try engine.createMailslot(name)
        let received = ByteCounter()
        try server.onMessage { message in received.bytes &+= message.count }
        let client = try MailslotClient(name)
        let batch = MailslotWriteBatch(capacity: 8, maxMessageSize: 424)
        try measureDispatch(benchmark, engine, client, batch, received: received)
        server.close()
    }

    Benchmark(
        // The network path in one process, through real UDP on loopback: a batch of 32 × 424 B
        // domain datagrams encoded and sent with one sendmmsg, then the engine's datagram
        // service: recvmmsg, MS-MAIL decode, destination filter, lookup by path hash, the
        // callback with a view into the receive buffer and the origin (nothing queued before).
        "DatagramService32x424",
        configuration: .init(scalingFactor: .one, maxIterations: 2_000)
    ) { benchmark in
        let engine = try MailslotEngine()
        var network = NetworkConfiguration()
        network.computerName = "MICRO"
        network.domain = "MICRODOM"
        network.udpPort = 0
        network.broadcastAddresses = ["127.255.255.255"]
        network.sendsThroughService = false
        try engine.startDatagramService(network)
        guard let port = engine.datagramPort else { fatalError("no datagram port") }
        // Short: \MAILSLOT\ + path + NUL + 424 bytes must fit MS-MAIL's 443.
        let path = "m\(getpid() % 100_000)"
        let server = try engine.createMailslot(MailslotName(localPath: path))
        let received = ByteCounter()
        try server.onMessageWithOrigin { message, origin in
            received.bytes &+= message.count
            blackHole(origin)
        }
        var sender = network
        sender.computerName = "SENDER"
        sender.udpPort = port
        let client = try MailslotClient(MailslotName("\\\\*\\mailslot\\" + path), network: sender)
        let batch = MailslotWriteBatch(capacity: 32, maxMessageSize: 424)
        try measureDispatch(benchmark, engine, client, batch, received: received)
        server.close()
    }

    Benchmark(
        // The shared-memory transport in one process: a batch of 32 × 424 B written into the
        // mailslot's ring (claim, copy, commit; one wake-up check per batch), then the loop: the
        // eventfd, the callback with a view into the shared memory, consume.
        "SharedMemory32x424",
        configuration: .init(scalingFactor: .one, maxIterations: 2_000)
    ) { benchmark in
        let engine = try MailslotEngine()
        let name = try MailslotName(localPath: "micro\\shared\\\(getpid())")
        let server = try engine.createMailslot(name, sharedMemoryBytes: 1 << 20)
        let received = ByteCounter()
        try server.onMessage { message in received.bytes &+= message.count }
        let client = try openWhileServing(engine, name)
        guard client.usesSharedMemory else { fatalError("the client did not get the shared-memory ring") }
        let batch = MailslotWriteBatch(capacity: 32, maxMessageSize: 424)
        try measureDispatch(benchmark, engine, client, batch, received: received)
        server.close()
    }
}

/// Opens a client on another thread while this one runs the engine's loop: opening asks the
/// server for its shared-memory ring, and the server answers on its loop.
func openWhileServing(_ engine: MailslotEngine, _ name: MailslotName) throws -> MailslotClient {
    final class Opening: @unchecked Sendable {
        var result: Result<MailslotClient, MailslotError>?
        let done = Atomic<Bool>(false)
    }
    let opening = Opening()
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box { opening.result = Result { () throws(MailslotError) in try MailslotClient(name) }; opening.done.store(true, ordering: .releasing) }).toOpaque()
    pthread_create(&thread, nil, { context in
        Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
        return nil
    }, context)
    while !opening.done.load(ordering: .acquiring) { engine.runOnce(timeout: 0.01) }
    pthread_join(thread, nil)
    return try opening.result!.get()
}

/// A closure in a class, to hand to a pthread.
final class Box {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

@inline(never)
func ringRoundTrip(_ ring: inout DatagramRing, _ payload: [UInt8], times: Int) {
    payload.withUnsafeBytes { bytes in
        for _ in 0..<times {
            guard let claim = ring.claim(slotPayload: bytes.count) else { fatalError("ring full") }
            claim.payloadAddress(0).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            ring.commit(claim, count: 1) { _ in bytes.count }
            blackHole(ring.withNextMessage { $0.count })
            ring.consumeNext()
        }
    }
}

@inline(never)
func ringBatch(_ ring: inout DatagramRing, batches: Int) {
    for _ in 0..<batches {
        guard let claim = ring.claim(slotPayload: 424, maxSlots: 32) else { fatalError("ring full") }
        for slot in 0..<claim.count { claim.payloadAddress(slot).storeBytes(of: UInt32(slot), as: UInt32.self) }
        ring.commit(claim, count: claim.count) { _ in 424 }
        while ring.withNextMessage({ blackHole($0.count) }) != nil { ring.consumeNext() }
    }
}

/// Writes a full batch (non-blocking: the kernel queue may be as short as 10 datagrams, and the
/// reader is this same thread), runs the loop until the callback has every message, repeats.
@inline(never)
func dispatch(
    _ engine: MailslotEngine, _ client: MailslotClient, _ batch: MailslotWriteBatch, batches: Int, received: ByteCounter
) throws {
    for _ in 0..<batches {
        while !batch.isFull { batch.append { _ in 424 } }
        var target = received.bytes
        while !batch.isEmpty {
            target += try client.write(batch) * 424
            engine.runOnce(timeout: 0)
        }
        while received.bytes < target { engine.runOnce(timeout: 0) }
    }
}

/// Warms up with 16 batches, then measures one batch per scaled iteration.
func measureDispatch(
    _ benchmark: Benchmark, _ engine: MailslotEngine, _ client: MailslotClient, _ batch: MailslotWriteBatch,
    received: ByteCounter
) throws {
    try dispatch(engine, client, batch, batches: 16, received: received)
    benchmark.startMeasurement()
    try dispatch(engine, client, batch, batches: benchmark.scaledIterations.count, received: received)
    benchmark.stopMeasurement()
    blackHole(received.bytes)
}

/// Bytes the dispatch benchmark's callback has seen (a class: the callback and the loop that
/// waits for it both touch it).
final class ByteCounter {
    var bytes = 0
}
