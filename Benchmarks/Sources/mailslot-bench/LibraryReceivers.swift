import CBaselines
import CLibraryRows
import Glibc
import MailslotEngine

/// The Swift API read one message per call: a blocking `MailslotServer.read(into:)` loop that
/// runs the engine's loop while it waits: the baseline of the C library's rows.
final class BlockingReadReceiver: Receiver {
    let prefix: String
    private let engine: MailslotEngine
    private let server: MailslotServer

    init(prefix: String) throws(BenchError) {
        self.prefix = prefix
        do {
            engine = try MailslotEngine()
            server = try engine.createMailslot(MailslotName(localPath: "\(prefix)\\0"), readTimeout: .milliseconds(100))
        } catch {
            throw .setup("mailslot setup failed: \(error)")
        }
    }

    var writerArguments: [String] { ["--transport", Transport.mailslotRead.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let counters = tally.pointer
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        var draining = false
        while true {
            do {
                let length = try server.read(into: buffer)
                cb_tally_record(counters, buffer.baseAddress, length, cb_now_ns())
                continue
            } catch {
                guard case .timeout = error else { throw .setup("read failed: \(error)") }
            }
            if draining { return }
            var entry = pollfd(fd: doneFD, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 0) > 0 {
                draining = true
                try? server.setReadTimeout(.immediate)
            }
        }
    }

    var countedDrops: UInt64 { engine.statistics.drops.total }
}

/// libmailslot from C (`CLibraryRows`): a `ReadFile` or `msl_recv` loop, one call per message.
final class CLibraryReceiver: Receiver {
    let prefix: String
    private let transport: Transport
    private var reader: cl_reader?

    init(prefix: String, transport: Transport) throws(BenchError) {
        self.prefix = prefix
        self.transport = transport
        let status = cl_reader_create("\\\\.\\mailslot\\\(prefix)\\0", transport == .cWin32 ? 1 : 0, &reader)
        guard status == 0 else { throw .system("cl_reader_create", status) }
    }

    deinit { cl_reader_close(reader, transport == .cWin32 ? 1 : 0) }

    var writerArguments: [String] { ["--transport", transport.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let status = cl_reader_receive(reader, transport == .cWin32 ? 1 : 0, doneFD, tally.pointer)
        guard status == 0 else { throw .system("cl_reader_receive", status) }
    }

    /// The library counts its drops per mailslot; none is expected on this path.
    var countedDrops: UInt64 { 0 }
}
