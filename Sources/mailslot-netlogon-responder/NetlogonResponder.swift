import Glibc
import MailslotEngine
import MailslotSupport

/// An example built only on the public mailslot API: a minimal NETLOGON responder that answers
/// "who is the primary domain controller?" (LOGON_PRIMARY_QUERY, opcode 7, on
/// `\MAILSLOT\NET\NETLOGON`) with NETLOGON_RESPONSE_FROM_PDC (opcode 0x0C) on the reply
/// mailslot the query names, as a Windows or Samba PDC does (MS-ADTS 6.3.1.4 / 6.3.1.5).
///
/// It is what `smbtorture nbt.dgram.netlogon` talks to in the interop tests.
///
///     mailslot-netlogon-responder --computer-name PDC --domain TESTDOMAIN [--udp-port 138] [--count N]
///         [--answers-per-second 5] [--burst 10]
///
/// A query's source address is not authenticated (UDP), so answers to one address are rate
/// limited (``AnswerRateLimit``): a flood with a forged source gets a trickle, not a 1:1
/// reflection. At exit it prints `summary: answered N, rate-limited M`.
///
/// Query (little-endian):  opcode u16 = 7 | ComputerName (ASCII, NUL) | MailslotName (ASCII,
///                         NUL) | pad to even | UnicodeComputerName (UTF-16, NUL) | NtVersion u32 |
///                         LmNtToken u16 | Lm20Token u16
/// Answer:                 opcode u16 = 0x0C | PrimaryDCName (ASCII, NUL) | pad to even |
///                         UnicodePrimaryDCName (UTF-16, NUL) | UnicodeDomainName (UTF-16, NUL) |
///                         NtVersion u32 = 1 | LmNtToken 0xFFFF | Lm20Token 0xFFFF
@main
struct NetlogonResponder {
    static func main() throws {
        var network = try NetworkConfiguration.standard()
        var count = Int.max
        var perSecond = 5.0
        var burst = 10.0
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
            switch flag {
            case "--count":
                guard let number = Int(value), number > 0 else { usage("bad --count \(value)") }
                count = number
            case "--answers-per-second", "--burst":
                guard let number = Double(value), number >= 0, number <= 1_000_000 else { usage("bad \(flag) \(value)") }
                if flag == "--burst" { burst = number } else { perSecond = number }
            case "--computer-name", "--domain", "--udp-port", "--hosts-file": try network.set(String(flag.dropFirst(2)), to: value)
            case "--broadcast": try network.set("broadcast", to: value)
            default: usage("unknown option \(flag)")
            }
        }
        let engine = try MailslotEngine()
        try engine.startDatagramService(network)
        let server = try engine.createMailslot(named: "\\\\.\\mailslot\\NET\\NETLOGON")
        var answered = 0
        var limit = AnswerRateLimit(perSecond: perSecond, burst: burst)
        try server.onMessageWithOrigin { message, origin in
            guard let origin, let query = LogonPrimaryQuery(message) else { return }
            guard limit.allow(origin.ip, now: monotonicSeconds()) else { return }
            do {
                let reply = try MailslotClient(replyingTo: origin, mailslot: query.replyMailslot, network: network)
                try reply.write(responseFromPDC(computer: network.computerName, domain: network.domain))
                print("answered \(query.computerName) (\(origin.address)) on \(query.replyMailslot)")
                fflush(nil)
            } catch {
                print("cannot answer \(origin.sourceName): \(error)")
            }
            answered += 1
            if answered >= count { engine.stop() }
        }
        print("ready netlogon \(network.computerName) \(network.domain) udp \(engine.datagramPort ?? network.udpPort)")
        fflush(nil)
        engine.onSignals([SIGINT, SIGTERM]) { _ in engine.stop() }
        engine.run()
        print("summary: answered \(answered), rate-limited \(limit.refused)")
        fflush(nil)
    }

    static func monotonicSeconds() -> Double { MonotonicClock.seconds() }

    static func usage(_ problem: String) -> Never {
        print("mailslot-netlogon-responder: \(problem)\nusage: mailslot-netlogon-responder [--computer-name NAME] [--domain DOMAIN] [--udp-port PORT] [--count N] [--answers-per-second R] [--burst B]")
        exit(2)
    }

    /// NETLOGON_RESPONSE_FROM_PDC.
    static func responseFromPDC(computer: String, domain: String) -> [UInt8] {
        var bytes: [UInt8] = [0x0C, 0x00] + Array(computer.utf8) + [0]
        if bytes.count % 2 == 1 { bytes.append(0) }
        for text in [computer, domain] {
            for unit in text.utf16 { bytes += [UInt8(truncatingIfNeeded: unit), UInt8(unit >> 8)] }
            bytes += [0, 0]
        }
        return bytes + [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
    }
}

/// The fields of LOGON_PRIMARY_QUERY this responder needs.
struct LogonPrimaryQuery {
    let computerName: String
    let replyMailslot: String

    init?(_ message: RawSpan) {
        let bytes = message.byteArray
        guard bytes.count >= 4, bytes[0] == 0x07, bytes[1] == 0x00 else { return nil }
        var at = 2
        func cString() -> String? {
            guard let end = bytes[at...].firstIndex(of: 0) else { return nil }
            defer { at = end + 1 }
            return String(decoding: bytes[at..<end], as: UTF8.self)
        }
        guard let computer = cString(), let mailslot = cString(), mailslot.uppercased().hasPrefix("\\MAILSLOT\\") else { return nil }
        computerName = computer
        replyMailslot = mailslot
    }
}
