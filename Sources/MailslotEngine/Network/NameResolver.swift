import CLibEv
import Glibc
import MailslotCore
import MailslotWire

/// Finds the IPv4 address of a computer name, in order: the configured name map (a file in
/// lmhosts format), a dotted-quad literal, the system resolver (`/etc/hosts`, DNS), and last a
/// NetBIOS name query broadcast on UDP 137, which peers such as nmbd answer.
struct NameResolver {
    let configuration: NetworkConfiguration

    /// - Throws: ``/MailslotCore/MailslotError/badNetPath(_:)`` when no step finds the name.
    func resolve(_ computer: String, suffix: UInt8 = NetBIOSName.Suffix.workstation) throws(MailslotError) -> UInt32 {
        if let mapped = try lookUpHostsFile(computer, suffix: suffix) { return mapped }
        if let literal = IPv4Endpoint(computer, port: 0) { return literal.address }
        if let address = system_resolveIPv4(computer).first { return address }
        if let address = try queryNameService(computer, suffix: suffix) { return address }
        throw .badNetPath("cannot resolve the computer name \(computer)")
    }

    /// Lines `ADDRESS NAME[#xx] [#PRE] [#DOM:...]`; `#` starts a comment elsewhere.
    /// - Throws: ``/MailslotCore/MailslotError/badNetPath(_:)`` when a hosts file is configured
    ///   but cannot be read (names must not quietly resolve some other way).
    func lookUpHostsFile(_ computer: String, suffix: UInt8) throws(MailslotError) -> UInt32? {
        guard let path = configuration.hostsFile else { return nil }
        guard let bytes = system_readFile(path) else { throw .badNetPath("cannot read the hosts file \(path)") }
        let wanted = computer.uppercased()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, !fields[0].hasPrefix("#"), let address = IPv4Endpoint(String(fields[0]), port: 0) else {
                continue
            }
            var name = fields[1].trimmingCharacters.replacingQuotes
            var fileSuffix: UInt8?
            if let hash = name.firstIndex(of: "#") {
                fileSuffix = UInt8(name[name.index(after: hash)...], radix: 16)
                name = String(name[..<hash])
            }
            if name.uppercased() == wanted, fileSuffix == nil || fileSuffix == suffix { return address.address }
        }
        return nil
    }

    /// Broadcasts a name query to every broadcast address and waits for the first answer,
    /// sending it again as Windows does: ``NetworkConfiguration/nameQueryAttempts`` queries
    /// (3), ``NetworkConfiguration/nameQueryMilliseconds`` apart (750 ms), with one random
    /// transaction id. An answer counts only when it carries that id, comes from the name
    /// service port, and gives its sender's own address.
    func queryNameService(_ computer: String, suffix: UInt8) throws(MailslotError) -> UInt32? {
        guard let name = try? NetBIOSName(computer, suffix: suffix) else { return nil }
        let fd: Int32
        do {
            fd = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        } catch {
            throw error.mailslotError
        }
        _ = try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_BROADCAST, value: 1)
        defer { system_close(fd) }
        // Unpredictable (the system's random source): an off-path sender must guess it.
        let id = UInt16.random(in: 0...UInt16.max)
        let request = NameQuery.request(id: id, name: name)
        let targets = configuration.broadcastAddresses.compactMap { IPv4Endpoint($0, port: configuration.nameServicePort) }
        var buffer = [UInt8](repeating: 0, count: 576)
        for _ in 0..<max(1, configuration.nameQueryAttempts) {
            for target in targets {
                _ = request.withUnsafeBytes { try? system_sendto(fd, $0, to: target) }
            }
            let deadline = system_monotonicSeconds() + Double(configuration.nameQueryMilliseconds) / 1000
            while true {
                let left = deadline - system_monotonicSeconds()
                guard left > 0 else { break }
                guard (try? system_poll(fd, events: Int16(POLLIN), timeoutMilliseconds: Int32(left * 1000) + 1)) == true else { continue }
                let received = buffer.withUnsafeMutableBytes { try? system_recvfrom(fd, $0) }
                guard case .processed(let (count, sender))? = received, sender.port == configuration.nameServicePort else {
                    continue
                }
                let answer = buffer.withUnsafeBytes {
                    NameQuery.addresses(inResponse: UnsafeRawBufferPointer(rebasing: $0[0..<count]).bytes, id: id, name: name)
                }
                // A broadcast query is answered by the name's owner, for itself: an answer that
                // points anywhere but its own source is not believed.
                if let answer, answer.contains(sender.address) { return sender.address }
            }
        }
        return nil
    }
}

extension String {
    /// The text without surrounding double quotes (lmhosts allows quoted names).
    var replacingQuotes: String {
        guard count >= 2, first == "\"", last == "\"" else { return self }
        return String(dropFirst().dropLast())
    }
}
