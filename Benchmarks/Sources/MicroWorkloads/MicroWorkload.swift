import Glibc
import MailslotEngine
import MailslotRing
import Synchronization

/// One steady-state workload of the micro-benchmarks (`MailslotMicro`, timed) and of the malloc
/// gates (`mailslot-gates`, allocations counted): set up once, warmed up, then run for a number
/// of iterations during which it must allocate nothing.
public struct MicroWorkload: Sendable {
    /// Its name (the benchmark's and the gate's).
    public let name: String
    /// `true` when one iteration is tiny (a ring operation): timed per thousand.
    public let perThousand: Bool
    /// Sets it up and warms it up.
    public let prepare: @Sendable () throws -> MicroRun

    /// Every steady-state workload: the ring alone, then a message's whole way through the
    /// engine per transport (local socket, UDP datagram service, shared memory).
    public static let steadyState: [MicroWorkload] = [ringRoundTrip, ringBatch, engineDispatch, datagramService, sharedMemory]
}

/// A prepared workload: ``run(_:)`` it as often as wanted, then ``finish()``.
public final class MicroRun {
    private let body: (Int) throws -> Void
    private let cleanUp: () -> Void

    init(warmUp iterations: Int, _ body: @escaping (Int) throws -> Void, finish cleanUp: @escaping () -> Void = {}) throws {
        self.body = body
        self.cleanUp = cleanUp
        try body(iterations)
    }

    /// Runs `iterations` iterations.
    public func run(_ iterations: Int) throws { try body(iterations) }

    /// Closes what the workload opened.
    public func finish() { cleanUp() }
}

extension MicroWorkload {
    /// One 424 B message: claim, fill, commit, borrowed read, consume.
    static let ringRoundTrip = MicroWorkload(name: "RingRoundTrip424", perThousand: true) {
        let ring = RingBox()
        let payload = [UInt8](repeating: 7, count: 424)
        // The warm-up's first claim allocates the ring's storage.
        return try MicroRun(warmUp: 64) { times in roundTrip(&ring.ring, payload, times: times) }
    }

    /// A recvmmsg-sized batch: 32 slots of 424 B claimed, committed and drained.
    static let ringBatch = MicroWorkload(name: "RingBatch32x424", perThousand: true) {
        let ring = RingBox()
        return try MicroRun(warmUp: 8) { batches in batch(&ring.ring, batches: batches) }
    }

    /// Through a real socket in one process: a batched write of 8 × 424 B, then the loop:
    /// recvmmsg into the ring, the callback with a borrowed view, consume.
    static let engineDispatch = MicroWorkload(name: "EngineDispatch8x424", perThousand: false) {
        let engine = try MailslotEngine()
        let name = try MailslotName(localPath: "micro\\dispatch\\\(getpid())")
        let server = try engine.createMailslot(name)
        let received = ByteCounter()
        try server.onMessage { message in received.bytes &+= message.byteCount }
        let client = try MailslotClient(name)
        let batch = MailslotWriteBatch(capacity: 8, maxMessageSize: 424)
        return try MicroRun(warmUp: 16) { batches in
            try dispatch(engine, client, batch, batches: batches, received: received)
        } finish: { server.close() }
    }

    /// The network path in one process, through real UDP on loopback: a batch of 32 × 424 B
    /// domain datagrams encoded and sent with one sendmmsg, then the engine's datagram service:
    /// recvmmsg, MS-MAIL decode, destination filter, lookup by path hash, the callback with a
    /// view into the receive buffer and the origin (nothing queued before).
    static let datagramService = MicroWorkload(name: "DatagramService32x424", perThousand: false) {
        let engine = try MailslotEngine()
        var network = NetworkConfiguration()
        network.computerName = "MICRO"
        network.domain = "MICRODOM"
        network.udpPort = 0
        network.broadcastAddresses = ["127.255.255.255"]
        network.sendsThroughService = false
        try engine.startDatagramService(network)
        guard let port = engine.datagramPort else { throw MailslotError.invalidParameter("no datagram port") }
        // Short: \MAILSLOT\ + path + NUL + 424 bytes must fit MS-MAIL's 443.
        let path = "m\(getpid() % 100_000)"
        let server = try engine.createMailslot(MailslotName(localPath: path))
        let received = ByteCounter()
        try server.onMessageWithOrigin { message, origin in
            received.bytes &+= message.byteCount
            keep(origin)
        }
        var sender = network
        sender.computerName = "SENDER"
        sender.udpPort = port
        let client = try MailslotClient(MailslotName("\\\\*\\mailslot\\" + path), network: sender)
        let batch = MailslotWriteBatch(capacity: 32, maxMessageSize: 424)
        return try MicroRun(warmUp: 16) { batches in
            try dispatch(engine, client, batch, batches: batches, received: received)
        } finish: { server.close() }
    }

    /// The shared-memory transport in one process: a batch of 32 × 424 B written into the
    /// mailslot's ring (claim, copy, commit; one wake-up check per batch), then the loop: the
    /// eventfd, the callback with a view into the shared memory, consume.
    static let sharedMemory = MicroWorkload(name: "SharedMemory32x424", perThousand: false) {
        let engine = try MailslotEngine()
        let name = try MailslotName(localPath: "micro\\shared\\\(getpid())")
        let server = try engine.createMailslot(name, sharedMemoryBytes: 1 << 20)
        let received = ByteCounter()
        try server.onMessage { message in received.bytes &+= message.byteCount }
        let client = try openWhileServing(engine, name)
        guard client.usesSharedMemory else { throw MailslotError.invalidParameter("the client did not get the shared-memory ring") }
        let batch = MailslotWriteBatch(capacity: 32, maxMessageSize: 424)
        return try MicroRun(warmUp: 16) { batches in
            try dispatch(engine, client, batch, batches: batches, received: received)
        } finish: { server.close() }
    }
}

/// A ring in a class, so a workload's closure can keep it.
final class RingBox {
    var ring = DatagramRing(quota: 1 << 20)
}

/// Bytes the dispatch workloads' callback has seen (a class: the callback and the loop that
/// waits for it both touch it).
final class ByteCounter {
    var bytes = 0
}

/// Keeps a value from being optimized away.
@inline(never)
public func keep<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

@inline(never)
func roundTrip(_ ring: inout DatagramRing, _ payload: [UInt8], times: Int) {
    payload.withUnsafeBytes { bytes in
        for _ in 0..<times {
            guard let claim = ring.claim(slotPayload: bytes.count) else { fatalError("ring full") }
            claim.payloadAddress(0).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            ring.commit(claim, count: 1) { _ in bytes.count }
            keep(ring.withNextMessage { $0.count })
            ring.consumeNext()
        }
    }
}

@inline(never)
func batch(_ ring: inout DatagramRing, batches: Int) {
    for _ in 0..<batches {
        guard let claim = ring.claim(slotPayload: 424, maxSlots: 32) else { fatalError("ring full") }
        for slot in 0..<claim.count { claim.payloadAddress(slot).storeBytes(of: UInt32(slot), as: UInt32.self) }
        ring.commit(claim, count: claim.count) { _ in 424 }
        while ring.withNextMessage({ keep($0.count) }) != nil { ring.consumeNext() }
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

/// Opens a client on another thread while this one runs the engine's loop: opening asks the
/// server for its shared-memory ring, and the server answers on its loop.
func openWhileServing(_ engine: MailslotEngine, _ name: MailslotName) throws -> MailslotClient {
    final class Opening: @unchecked Sendable {
        var result: Result<MailslotClient, MailslotError>?
        let done = Atomic<Bool>(false)
    }
    let opening = Opening()
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box {
        opening.result = Result { () throws(MailslotError) in try MailslotClient(name) }
        opening.done.store(true, ordering: .releasing)
    }).toOpaque()
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
