// The SwiftNIO baseline of scenario f, built only with the package's SwiftNIOBaseline trait
// (on by default): the soak, which needs no NIO, builds without it and skips a release build
// of SwiftNIO.
#if SwiftNIOBaseline
import CBaselines
import Glibc
import NIOCore
import NIOPosix

/// A SwiftNIO DatagramChannel receiver (recvmmsg vector reads of 32, 4 MiB receive buffer): the
/// handler takes each datagram's message bytes through the shared tally.
final class NIOReceiver: Receiver {
    let prefix: String
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Channel
    private let port: Int
    private let kernelDropsBefore = cb_udp_kernel_drops()

    init(prefix: String, payload: Int, tally: Tally, bufferBytes: Int, drain: Bool) throws(BenchError) {
        self.prefix = prefix
        let counters = UnsafeSendablePointer(pointer: tally.pointer)
        do {
            channel = try DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(bufferBytes))
                .channelOption(.socketOption(NIOBSDSocket.Option(rawValue: 33)), value: SocketOptionValue(bufferBytes))  // SO_RCVBUFFORCE, as the others
                .channelOption(.autoRead, value: !drain)
                .channelOption(.datagramVectorReadMessageCount, value: 32)
                .channelOption(.maxMessagesPerRead, value: 4)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 2048))  // NIO splits it across the 32 vector reads
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(TallyHandler(tally: counters, payload: payload))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
            port = channel.localAddress?.port ?? 0
        } catch {
            try? group.syncShutdownGracefully()
            throw .setup("SwiftNIO setup failed: \(error)")
        }
    }

    deinit {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    var writerArguments: [String] { ["--transport", "udp-blast", "--prefix", prefix, "--port", "\(port)"] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        // NIO runs on its own thread; this one waits for the writers, then for the queue to empty.
        var entry = pollfd(fd: doneFD, events: Int16(POLLIN), revents: 0)
        while poll(&entry, 1, 100) <= 0 {}
        // Drain trials start reading only now.
        try? channel.setOption(.autoRead, value: true).wait()
        var before = UInt64.max
        while before != tally.received {
            before = tally.received
            usleep(20_000)
        }
    }

    var countedDrops: UInt64 { cb_udp_kernel_drops() - kernelDropsBefore }
}

/// The tally pointer, handed to NIO's event loop thread (the receiving thread is the only
/// writer while a trial runs; the bench thread reads after the writers are done).
struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<cb_tally>
}

/// Counts each datagram's message bytes (its last `payload` bytes).
final class TallyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let tally: UnsafeSendablePointer
    let payload: Int

    init(tally: UnsafeSendablePointer, payload: Int) {
        self.tally = tally
        self.payload = payload
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        envelope.data.withUnsafeReadableBytes { bytes in
            guard bytes.count >= payload, let base = bytes.baseAddress else { return }
            cb_tally_record(tally.pointer, base + bytes.count - payload, payload, cb_now_ns())
        }
    }
}
#endif
