import CLibEv
import Glibc
import MailslotCore
import MailslotWire

/// The client side of remote and domain names: each write is one MS-MAIL datagram.
///
/// - `\\COMPUTER\mailslot\x`: DIRECT_UNIQUE to `COMPUTER<00>` at its resolved address.
/// - `\\DOMAIN\mailslot\x` (the name is the configured domain) and `\\*\mailslot\x`:
///   DIRECT_GROUP to `DOMAIN<00>` at every broadcast address; at most 424 bytes, else
///   ``/MailslotCore/MailslotError/badNetPath(_:)`` as on Windows.
///
/// SOURCE_IP is the address of the interface that reaches the (first) destination, for unique
/// and group datagrams alike. When this host's datagram service runs (on the configured port),
/// datagrams go through its outbox (``Outbox``) and leave from its port with SOURCE_PORT that
/// port (138), as on Windows; otherwise they leave from an ephemeral port of this writer's own
/// socket, and SOURCE_PORT says that port.
final class RemoteWriter {
    private let transport: Transport
    private var encoder: MailslotWriteEncoder
    private let destinations: [IPv4Endpoint]
    /// One datagram (with room for the outbox prefix in front).
    private var buffer = [UInt8](repeating: 0, count: OutgoingDatagrams.stride)
    /// Encoded datagrams for batched writes (grown to the largest batch, then reused).
    private let datagrams = OutgoingDatagrams()

    /// How datagrams leave this host.
    private enum Transport {
        /// The host's datagram service, through its outbox (a connected Unix socket).
        case outbox(Int32)
        /// This writer's own UDP socket, from an ephemeral port.
        case direct(Int32)

        var fd: Int32 {
            switch self {
            case .outbox(let fd), .direct(let fd): fd
            }
        }
    }

    /// Whether writes go to a group (a domain) rather than one computer.
    var isGroup: Bool { encoder.type.isGroup }

    /// `true` when datagrams leave through the host's datagram service (from its port).
    var sendsThroughService: Bool {
        if case .outbox = transport { return true }
        return false
    }

    init(_ name: MailslotName, configuration: NetworkConfiguration) throws(MailslotError) {
        let target: String
        switch name.scope {
        case .local: throw .invalidParameter("a local name has no network form")
        case .primaryDomain: target = configuration.domain
        case .remote(let host): target = host.uppercased()
        }
        let isDomain = target == configuration.domain.uppercased()
        let destination: NetBIOSName
        do {
            destination = try NetBIOSName(target, suffix: configuration.destinationSuffix)
        } catch {
            throw .badNetPath("\(target) is not a NetBIOS name")
        }
        if isDomain {
            destinations = configuration.broadcastAddresses.compactMap { IPv4Endpoint($0, port: configuration.udpPort) }
        } else {
            let address = try NameResolver(configuration: configuration).resolve(target)
            destinations = [IPv4Endpoint(address: address, port: configuration.udpPort)]
        }
        guard !destinations.isEmpty else { throw .badNetPath("no broadcast address for the domain \(target)") }
        transport = try Self.makeTransport(configuration, broadcast: true)
        encoder = MailslotWriteEncoder(
            type: isDomain ? .directGroup : .directUnique, source: configuration.name(suffix: 0),
            destination: destination, mailslotName: name.wireName)
        finishSetUp(servicePort: configuration.udpPort)
    }

    /// A writer that answers a datagram: DIRECT_UNIQUE to `destination` at `endpoint`, the
    /// address and port the datagram came from (as nmbd and Windows answer).
    init(replyTo endpoint: IPv4Endpoint, destination: NetBIOSName, mailslotName: String, configuration: NetworkConfiguration) throws(MailslotError) {
        destinations = [endpoint]
        transport = try Self.makeTransport(configuration, broadcast: false)
        encoder = MailslotWriteEncoder(
            type: .directUnique, source: configuration.name(suffix: 0), destination: destination, mailslotName: mailslotName)
        finishSetUp(servicePort: configuration.udpPort)
    }

    private func finishSetUp(servicePort: UInt16) {
        encoder.sourceIP = system_sourceAddress(toward: destinations[0])
        switch transport {
        case .outbox: encoder.sourcePort = servicePort
        case .direct(let fd): encoder.sourcePort = (try? system_localEndpoint(fd))?.port ?? 0
        }
        encoder.id = UInt16(truncatingIfNeeded: system_getpid())
    }

    deinit { system_close(transport.fd) }

    /// The service's outbox when it runs, else an ephemeral-port UDP socket (closed again if
    /// setting it up fails).
    private static func makeTransport(_ configuration: NetworkConfiguration, broadcast: Bool) throws(MailslotError) -> Transport {
        if configuration.sendsThroughService, let outbox = Outbox.connect(port: configuration.udpPort) { return .outbox(outbox) }
        let socket: Descriptor
        do { socket = Descriptor(owning: try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))) } catch {
            throw error.mailslotError
        }
        do {
            if broadcast { try system_setsockopt(socket.rawValue, level: SOL_SOCKET, name: SO_BROADCAST, value: 1) }
            try system_bind(socket.rawValue, IPv4Endpoint(address: 0, port: 0))
        } catch {
            throw error.mailslotError  // the socket closes as it goes
        }
        return .direct(socket.release())
    }

    /// The largest message this target takes.
    var messageLimit: Int {
        let byName = MailslotDatagram.nameAndDataLimit - encoder.mailslotName.utf8.count - 1
        return isGroup ? min(MailslotDatagram.groupDataLimit, byName) : byName
    }

    /// Refuses a message this target cannot carry.
    private func check(_ count: Int) throws(MailslotError) {
        if isGroup, count > MailslotDatagram.groupDataLimit {
            throw .badNetPath("a message to a domain holds at most 424 bytes, not \(count)")
        }
        guard count <= messageLimit else { throw .messageTooLarge(size: count, limit: messageLimit) }
    }

    /// Bytes in front of each datagram for this transport.
    private var prefixLength: Int { sendsThroughService ? Outbox.prefixLength : 0 }

    /// Sends every message waiting in `batch` as datagrams, with one `sendmmsg` per destination.
    /// - Returns: how many went (from the front; the rest, refused by a full socket buffer, stay).
    func send(_ batch: MailslotWriteBatch) throws(MailslotError) -> Int {
        let count = batch.count
        for offset in 0..<count { try check(batch.length(at: offset)) }
        let outgoing = datagrams.reserve(count)
        let prefix = prefixLength
        for index in 0..<count {
            encoder.id &+= 1
            let slot = outgoing.slot(index)
            do throws(WireError) {
                let length = try encoder.encode(batch.message(at: index), into: UnsafeMutableRawBufferPointer(rebasing: slot[prefix...]))
                outgoing.setLength(index, prefix + length)
            } catch {
                throw .invalidParameter("cannot encode the datagram: \(error)")
            }
        }
        var sent = 0
        for (number, destination) in destinations.enumerated() {
            switch transport {
            case .outbox:
                for index in 0..<count { Outbox.writePrefix(destination, into: outgoing.slot(index).baseAddress!) }
                outgoing.address(count, to: nil)
            case .direct:
                outgoing.address(count, to: destination)
            }
            var done = 0
            while done < count {
                let outcome: IOResult<Int32>
                do throws(SyscallError) {
                    outcome = try outgoing.send(transport.fd, from: done, count: count - done)
                } catch {
                    throw Self.sendError(error, host: destination.host)
                }
                guard case .processed(let went) = outcome, went > 0 else { break }
                done += Int(went)
            }
            if number == 0 { sent = done }
        }
        return sent
    }

    private static func sendError(_ error: SyscallError, host: String) -> MailslotError {
        switch error.errno {
        case ENETUNREACH, EHOSTUNREACH: .badNetPath("\(host) is unreachable")
        case ECONNREFUSED, ENOTCONN: .badNetPath("the host's datagram service stopped")
        default: error.mailslotError
        }
    }

    /// Sleeps until the service's outbox has room or `deadline` (monotonic seconds) passes.
    /// - Returns: `false` when there is nothing to wait for (a direct socket, or time is up).
    func waitForRoom(until deadline: Double?) throws(MailslotError) -> Bool {
        guard case .outbox(let fd) = transport else { return false }
        var wait: Int32 = -1
        if let deadline {
            let left = deadline - system_monotonicSeconds()
            guard left > 0 else { return false }
            wait = Int32(min(left * 1000 + 1, Double(Int32.max)))
        }
        do { _ = try system_poll(fd, events: Int16(POLLOUT), timeoutMilliseconds: wait) } catch { throw error.mailslotError }
        return true
    }

    /// Sends one message as one datagram to every destination.
    func send(_ bytes: UnsafeRawBufferPointer) throws(MailslotError) {
        try check(bytes.count)
        encoder.id &+= 1
        let encoder = self.encoder
        let prefix = prefixLength
        let length: Int
        do {
            length = try buffer.withUnsafeMutableBytes { out throws(WireError) in
                try encoder.encode(bytes, into: UnsafeMutableRawBufferPointer(rebasing: out[prefix...]))
            }
        } catch {
            throw .invalidParameter("cannot encode the datagram: \(error)")
        }
        var refused = 0
        for destination in destinations {
            let result = buffer.withUnsafeMutableBytes { out in
                Result { () throws(SyscallError) in
                    switch transport {
                    case .outbox(let fd):
                        Outbox.writePrefix(destination, into: out.baseAddress!)
                        return try system_send(fd, UnsafeRawBufferPointer(rebasing: out[0..<(prefix + length)]))
                    case .direct(let fd):
                        return try system_sendto(fd, UnsafeRawBufferPointer(rebasing: out[0..<length]), to: destination)
                    }
                }
            }
            switch result {
            case .success(.processed): continue
            case .success(.wouldBlock): refused += 1
            case .failure(let error): throw Self.sendError(error, host: destination.host)
            }
        }
        if refused == destinations.count { throw .queueFull }
    }
}
