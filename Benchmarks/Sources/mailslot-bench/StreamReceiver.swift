import CBaselines
import Dispatch
import Glibc
import MailslotEngine
import Synchronization

/// One mailslot read through its async stream (``AsyncMailslotServer/messages(buffer:whenFull:)``):
/// an engine thread receives and hands batches to a consuming task, which runs the shared tally
/// for each message. The same writers and traffic as ``MailslotReceiver`` (the loop callback),
/// so the two rows compare what the stream costs an embedder.
final class StreamReceiver: Receiver {
    let prefix: String
    private let thread: MailslotEngineThread
    private let server: AsyncMailslotServer
    private var drops: UInt64 = 0

    init(prefix: String) throws(BenchError) {
        self.prefix = prefix
        do {
            let thread = try MailslotEngineThread()
            self.thread = thread
            server = try waitFor { try await thread.createMailslot(named: "\\\\.\\mailslot\\\(prefix)\\0") }
        } catch {
            throw .setup("mailslot stream setup failed: \(error)")
        }
    }

    deinit {
        let thread = self.thread
        try? waitFor { await thread.shutdown() }
    }

    var writerArguments: [String] { ["--transport", Transport.mailslotStream.rawValue, "--prefix", prefix] }

    func receive(doneFD: Int32, tally: Tally) throws(BenchError) {
        let server = self.server
        let counters = TallyPointer(tally.pointer)
        let consumed = ConsumedCount()
        do {
            let stream = try waitFor { try await server.messages(buffer: 4096) }
            let consumer = Task.detached {
                for await message in stream {
                    message.bytes.withUnsafeBytes { cb_tally_record(counters.pointer, $0.baseAddress, $0.count, cb_now_ns()) }
                    consumed.value.add(1, ordering: .releasing)
                }
            }
            // Every writer has exited when the pipe ends; then wait until the consumer has
            // taken all the engine received and nothing more comes.
            var entry = pollfd(fd: doneFD, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, -1) < 0 && errno == EINTR {}
            var last = UInt64.max
            while true {
                let statistics = try waitFor { try await server.statistics() }
                let taken = UInt64(consumed.value.load(ordering: .acquiring))
                if taken == statistics.delivered && statistics.queued == 0 && statistics.received == last { break }
                last = statistics.received
                usleep(20_000)
            }
            drops = try waitFor { try await server.statistics() }.drops.total
            try waitFor { await server.close() }
            try waitFor { await consumer.value }
        } catch {
            throw .setup("mailslot stream failed: \(error)")
        }
    }

    var countedDrops: UInt64 { drops }
}

/// The tally's C counters, handed to the consuming task (which alone writes them while it runs).
private struct TallyPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<cb_tally>
    init(_ pointer: UnsafeMutablePointer<cb_tally>) { self.pointer = pointer }
}

/// Messages the consuming task has tallied.
private final class ConsumedCount: Sendable {
    let value = Atomic<Int>(0)
}

/// Runs async work from the benchmark's synchronous code and waits for it (the caller is the
/// main thread, never one of the pool's).
private func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        outcome.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try outcome.withLock { $0! }.get()
}
