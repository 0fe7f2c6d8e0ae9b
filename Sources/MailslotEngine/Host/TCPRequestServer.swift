import Glibc
import MailslotCore
import Synchronization

/// A small TCP server for one-request, one-response protocols: the metrics endpoint's HTTP
/// (MailslotPrometheus says what the bytes mean; this type only moves them).
///
/// - One thread of its own, one connection at a time: a scrape is a few kilobytes, and the
///   endpoint must never compete with the engine's loop for more than that.
/// - Each connection is bounded: its request head may be at most ``requestLimit`` bytes and
///   must arrive, and the response leave, within ``connectionMilliseconds``. A client that
///   connects and says nothing, or never reads, costs the next scrape at most that long, and
///   no memory beyond one request and one response.
/// - The response goes out, then the connection closes (`Connection: close`).
/// - ``stop()`` wakes the thread through an eventfd, waits for it, and closes the listener.
package final class TCPRequestServer: @unchecked Sendable {
    /// The largest request head taken (bytes); a longer one gets the handler's answer to what
    /// arrived so far, marked as cut (`complete: false`).
    package static let requestLimit = 8192
    /// How long one connection may take, from accept to the last byte written.
    package static let connectionMilliseconds: Int32 = 2000

    /// The bound port (the one asked for, or the kernel's choice for port 0).
    package let port: UInt16
    /// The listening socket's and the wake eventfd's numbers, which the thread borrows; their
    /// owner is ``State/descriptors``.
    private let listener: Int32
    private let wake: Int32
    /// Answers a request head (`complete`: it ended with an empty line within the limit).
    private let respond: @Sendable (_ head: [UInt8], _ complete: Bool) -> [UInt8]
    private let state: Mutex<State>

    /// The two descriptors, owned: each closes exactly once, when stop() drops them after the
    /// thread has ended, or with the server when it never ran.
    private struct Descriptors: ~Copyable {
        let listener: Descriptor
        let wake: Descriptor
    }

    private struct State: ~Copyable {
        var started = false
        var stopped = false
        var thread: pthread_t?
        var descriptors: Descriptors?
    }

    /// Listens on `host:port` (an IPv4 address; port 0: any free port).
    /// - Throws: ``/MailslotCore/MailslotError/invalidParameter(_:)`` for a host that is not an
    ///   IPv4 address; the bind's failure (``/MailslotCore/MailslotError/alreadyExists(_:)`` for
    ///   a port in use).
    package init(host: String, port: UInt16, respond: @escaping @Sendable (_ head: [UInt8], _ complete: Bool) -> [UInt8]) throws(MailslotError) {
        guard let endpoint = IPv4Endpoint(host, port: port) else { throw .invalidParameter("not an IPv4 address: \(host)") }
        self.respond = respond
        let socket: Descriptor
        do { socket = Descriptor(owning: try system_socket(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue))) } catch {
            throw error.mailslotError
        }
        do { try system_setsockopt(socket.rawValue, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1) } catch {
            throw error.mailslotError
        }
        do { try system_bind(socket.rawValue, endpoint) } catch {
            throw error.errno == EADDRINUSE ? .alreadyExists("TCP port \(port) on \(host)") : error.mailslotError
        }
        let wake: Descriptor
        do {
            try system_listen(socket.rawValue, backlog: 16)
            self.port = try system_localEndpoint(socket.rawValue).port
            wake = Descriptor(owning: try system_eventfd())
        } catch { throw error.mailslotError }
        (listener, self.wake) = (socket.rawValue, wake.rawValue)
        state = Mutex(State(descriptors: Descriptors(listener: socket, wake: wake)))
    }

    /// Starts the thread that accepts and answers.
    package func start() throws(MailslotError) {
        guard state.withLock({ state in
            defer { state.started = true }
            return !state.started
        }) else { return }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let server = Unmanaged<TCPRequestServer>.fromOpaque(context!).takeRetainedValue()
            server.acceptUntilStopped()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<TCPRequestServer>.fromOpaque(context).release()
            state.withLock { $0.started = false }
            throw .systemLimit(syscall: "pthread_create", errno: status)
        }
        state.withLock { $0.thread = thread }
    }

    /// Stops: a connection being answered is cut, the thread ends, the port closes. Idempotent.
    package func stop() {
        let thread: pthread_t? = state.withLock { state in
            guard state.started, !state.stopped else { return nil }
            state.stopped = true
            return state.thread
        }
        guard let thread else { return }
        system_eventfdSignal(wake)
        pthread_join(thread, nil)
        state.withLock { $0.descriptors = nil }
    }

    private func acceptUntilStopped() {
        while true {
            guard let ready = try? system_pollReadable([listener, wake], timeoutMilliseconds: -1), ready == 0 else { return }
            guard let fd = try? system_accept(listener) else { continue }
            let connection = Descriptor(owning: fd)
            if !answer(connection.rawValue) { return }
        }
    }

    /// Reads one request head, writes the response. - Returns: `false` when stop() was called.
    private func answer(_ fd: Int32) -> Bool {
        let deadline = monotonicMilliseconds() + Int64(Self.connectionMilliseconds)
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        var complete = false
        while !complete && head.count < Self.requestLimit {
            switch wait(for: fd, events: Int16(POLLIN), until: deadline) {
            case .stopped: return false
            case .timedOut: return true
            case .ready: break
            }
            let result = chunk.withUnsafeMutableBytes { buffer in Result { () throws(SyscallError) in try system_receive(fd, buffer) } }
            guard case .success(let outcome) = result else { return true }
            guard case .processed(let count) = outcome else { continue }
            if count == 0 { return true }
            head += chunk[0..<min(count, Self.requestLimit - head.count)]
            complete = Self.endsHead(head)
        }
        var response = respond(head, complete)[...]
        while !response.isEmpty {
            switch wait(for: fd, events: Int16(POLLOUT), until: deadline) {
            case .stopped: return false
            case .timedOut: return true
            case .ready: break
            }
            let result = response.withUnsafeBytes { bytes in Result { () throws(SyscallError) in try system_send(fd, bytes) } }
            guard case .success(let outcome) = result else { return true }
            if case .processed(let count) = outcome { response = response.dropFirst(count) }
        }
        return true
    }

    private enum Readiness { case ready, timedOut, stopped }

    /// Waits for `events` on `fd`, or the wake, or the deadline.
    private func wait(for fd: Int32, events: Int16, until deadline: Int64) -> Readiness {
        let remaining = deadline - monotonicMilliseconds()
        guard remaining > 0 else { return .timedOut }
        guard let ready = try? system_pollEach([(fd, events), (wake, Int16(POLLIN))], timeoutMilliseconds: Int32(clamping: remaining))
        else { return .timedOut }
        if ready[1] { return .stopped }
        return ready[0] ? .ready : .timedOut
    }

    /// `true` when `head` holds an empty line (`\r\n\r\n`, or a bare `\n\n`).
    static func endsHead(_ head: [UInt8]) -> Bool {
        var newlines = 0
        for byte in head {
            switch byte {
            case UInt8(ascii: "\n"):
                newlines += 1
                if newlines == 2 { return true }
            case UInt8(ascii: "\r"): continue
            default: newlines = 0
            }
        }
        return false
    }
}
