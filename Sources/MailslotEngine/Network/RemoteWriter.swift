import CLibEv
import Glibc
import MailslotCore
import MailslotWire

/// The client side of remote and domain names: each write is one MS-MAIL datagram.
///
/// - `\\COMPUTER\mailslot\x`: DIRECT_UNIQUE to `COMPUTER<00>` at its resolved address.
/// - `\\DOMAIN\mailslot\x` (the name is the configured domain) and `\\*\mailslot\x`:
///   DIRECT_GROUP to `DOMAIN<00>` at every broadcast address; at most 424 bytes, else
///   ``MailslotError/badNetPath(_:)`` as on Windows.
///
/// Datagrams go to the configured UDP port from an ephemeral port of an unbound socket with
/// SO_BROADCAST; SOURCE_IP is the address the kernel sends from.
final class RemoteWriter {
    private let fd: Int32
    private var encoder: MailslotWriteEncoder
    private let destinations: [IPv4Endpoint]
    private var buffer = [UInt8](repeating: 0, count: 1024)
    /// Encoded datagrams for batched writes (grown to the largest batch, then reused).
    private let datagrams = OutgoingDatagrams()

    /// Whether writes go to a group (a domain) rather than one computer.
    var isGroup: Bool { encoder.type.isGroup }

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
        self.fd = try Self.makeSocket(broadcast: true)
        encoder = MailslotWriteEncoder(
            type: isDomain ? .directGroup : .directUnique, source: configuration.name(suffix: 0),
            destination: destination, mailslotName: name.wireName)
        encoder.sourceIP = system_sourceAddress(toward: destinations[0])
        encoder.sourcePort = (try? system_localEndpoint(fd))?.port ?? 0
        encoder.id = UInt16(truncatingIfNeeded: system_getpid())
    }

    /// A writer that answers a datagram: DIRECT_UNIQUE to `destination` at `endpoint`, the
    /// address and port the datagram came from (as nmbd and Windows answer).
    init(replyTo endpoint: IPv4Endpoint, destination: NetBIOSName, mailslotName: String, configuration: NetworkConfiguration) throws(MailslotError) {
        destinations = [endpoint]
        self.fd = try Self.makeSocket(broadcast: false)
        encoder = MailslotWriteEncoder(
            type: .directUnique, source: configuration.name(suffix: 0), destination: destination, mailslotName: mailslotName)
        encoder.sourceIP = system_sourceAddress(toward: endpoint)
        encoder.sourcePort = configuration.udpPort
        encoder.id = UInt16(truncatingIfNeeded: system_getpid())
    }

    deinit { system_close(fd) }

    /// An unbound-port UDP socket for sending (closed again if setting it up fails).
    private static func makeSocket(broadcast: Bool) throws(MailslotError) -> Int32 {
        let fd: Int32
        do { fd = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue)) } catch { throw error.mailslotError }
        do {
            if broadcast { try system_setsockopt(fd, level: SOL_SOCKET, name: SO_BROADCAST, value: 1) }
            try system_bind(fd, IPv4Endpoint(address: 0, port: 0))
        } catch {
            system_close(fd)
            throw error.mailslotError
        }
        return fd
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

    /// Sends every message waiting in `batch` as datagrams, with one `sendmmsg` per destination.
    /// - Returns: how many went (from the front; the rest, refused by a full socket buffer, stay).
    func send(_ batch: MailslotWriteBatch) throws(MailslotError) -> Int {
        let count = batch.count
        for offset in 0..<count { try check(batch.length(at: offset)) }
        let outgoing = datagrams.reserve(count)
        for index in 0..<count {
            encoder.id &+= 1
            do throws(WireError) {
                outgoing.setLength(index, try encoder.encode(batch.message(at: index), into: outgoing.slot(index)))
            } catch {
                throw .invalidParameter("cannot encode the datagram: \(error)")
            }
        }
        var sent = 0
        for (number, destination) in destinations.enumerated() {
            outgoing.address(count, to: destination)
            var done = 0
            while done < count {
                let outcome: IOResult<Int32>
                do throws(SyscallError) {
                    outcome = try system_sendmmsg(fd, outgoing.headers + done, count - done, blocking: false)
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
        error.errno == ENETUNREACH || error.errno == EHOSTUNREACH ? .badNetPath("\(host) is unreachable") : error.mailslotError
    }

    /// Sends one message as one datagram to every destination.
    func send(_ bytes: UnsafeRawBufferPointer) throws(MailslotError) {
        try check(bytes.count)
        encoder.id &+= 1
        let encoder = self.encoder
        let length: Int
        do {
            length = try buffer.withUnsafeMutableBytes { out throws(WireError) in try encoder.encode(bytes, into: out) }
        } catch {
            throw .invalidParameter("cannot encode the datagram: \(error)")
        }
        var refused = 0
        for destination in destinations {
            let result = buffer.withUnsafeBytes { out in
                Result { () throws(SyscallError) in try system_sendto(fd, UnsafeRawBufferPointer(rebasing: out[0..<length]), to: destination) }
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
