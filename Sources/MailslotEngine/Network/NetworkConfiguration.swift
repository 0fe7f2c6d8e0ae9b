import Glibc
import MailslotCore
import MailslotWire

/// How this host takes part in remote and domain mailslots.
///
/// Values come, each overriding the one before, from the defaults, a config file, the
/// environment, and the caller (the CLI's flags):
///
/// | setting | default | file key | environment |
/// |---|---|---|---|
/// | computer name | the host name, up to its first `.`, upper-cased, 15 bytes | `computer-name` | `MAILSLOT_COMPUTER_NAME` |
/// | domain (`\\*` and `\\DOMAIN`) | `WORKGROUP` | `domain` | `MAILSLOT_DOMAIN` |
/// | datagram port | 138 | `udp-port` | `MAILSLOT_UDP_PORT` |
/// | broadcast addresses | every up, non-loopback interface's; else 255.255.255.255 | `broadcast` (comma-separated) | `MAILSLOT_BROADCAST` |
/// | name map (lmhosts format) | none | `hosts-file` | `MAILSLOT_HOSTS_FILE` |
/// | name service port | 137 | `nbns-port` | `MAILSLOT_NBNS_PORT` |
/// | name queries, and ms between them | 3, 750 | `nbns-attempts`, `nbns-interval` | `MAILSLOT_NBNS_ATTEMPTS`, `MAILSLOT_NBNS_INTERVAL` |
/// | send through the host's service | yes | `send-through-service` (yes/no) | `MAILSLOT_SEND_THROUGH_SERVICE` |
/// | address the service binds | 0.0.0.0 | `bind` | `MAILSLOT_BIND` |
/// | senders the service takes (CIDR) | any | `allow-from` (comma-separated) | `MAILSLOT_ALLOW_FROM` |
/// | relay to other processes' mailslots | yes | `relay` (yes/no) | `MAILSLOT_RELAY` |
///
/// The config file is `$MAILSLOT_CONFIG`, else `/etc/mailslot.conf` when it exists: `key = value`
/// lines, `#` comments.
public struct NetworkConfiguration: Sendable, Hashable {
    /// This computer's NetBIOS name (default: the host name, upper-cased, at most 15 characters).
    public var computerName: String
    /// The domain that `\\*` and `\\DOMAIN` names reach (default `WORKGROUP`).
    public var domain: String
    /// The NetBIOS datagram port: where remote writes go and the port the service owns (138).
    public var udpPort: UInt16 = 138
    /// Where domain datagrams go (host addresses, sent to ``udpPort``).
    public var broadcastAddresses: [String]
    /// An lmhosts-format name map (`ADDRESS NAME` lines), searched before name queries.
    public var hostsFile: String?
    /// The NetBIOS name service port that name queries go to (137).
    public var nameServicePort: UInt16 = 137
    /// The NetBIOS name type remote writes address (default `<00>`, the name every computer and
    /// domain member registers; `1d` reaches a domain's local master browser, `1c` its domain
    /// controllers).
    public var destinationSuffix: UInt8 = 0x00
    /// The datagram service's socket receive buffer: how big a burst it absorbs while busy.
    /// Above `net.core.rmem_max` it needs CAP_NET_ADMIN (root); otherwise the kernel caps it.
    public var receiveBufferBytes = 4 << 20
    /// How long each NetBIOS name query waits for an answer before the next is sent (Windows:
    /// 750 ms).
    public var nameQueryMilliseconds = 750
    /// How many name queries are sent before a name counts as unresolvable (Windows: 3).
    public var nameQueryAttempts = 3
    /// Whether writers hand their datagrams to this host's datagram service when one runs on
    /// ``udpPort``, so they leave from its port (138) as on Windows. The service's outbox holds
    /// `net.unix.max_dgram_qlen` datagrams while the service is busy: a write finding it full
    /// fails with queue-full (or waits, when asked to). `false`: always send from the writer's
    /// own ephemeral port.
    public var sendsThroughService = true
    /// The address the datagram service binds. The default, 0.0.0.0, takes unicast and
    /// broadcast datagrams on every interface. An interface's own address limits the service
    /// to that interface's unicast datagrams: Linux hands broadcasts only to sockets bound to
    /// 0.0.0.0, so domain writes (`\\*`, `\\DOMAIN`) then no longer arrive.
    public var bindAddress = "0.0.0.0"
    /// A bound IPv4 UDP socket that the datagram service takes instead of binding
    /// ``bindAddress``:``udpPort`` itself: socket activation, where the service manager holds
    /// port 138 and the service runs with no privilege (``SocketActivation``). The service owns
    /// the descriptor from then on and closes it; ``udpPort`` becomes the socket's port.
    public var inheritedSocket: Int32?
    /// Senders the datagram service takes datagrams from, by UDP source address (empty: any).
    /// Others are dropped and counted as ``/MailslotCore/DropCounters/accessDenied``. The source address of
    /// a UDP datagram is not authenticated: this keeps out other networks, not a spoofer on
    /// an allowed one (docs/security.md).
    public var allowedSources: [IPv4Network] = []
    /// Whether the datagram service hands remote messages for mailslots of other processes to
    /// them through the local transport. `false`: only this engine's mailslots get remote
    /// messages; the rest are dropped and counted as unknown mailslot.
    public var relaysToOtherProcesses = true

    /// The defaults, without reading any file or the environment.
    public init() {
        let host = system_hostName().split(separator: ".").first.map(String.init) ?? "LOCALHOST"
        computerName = String(host.uppercased().utf8.prefix(15).map { Character(Unicode.Scalar($0)) })
        domain = "WORKGROUP"
        let broadcasts = system_interfaceBroadcasts().map { IPv4Endpoint(address: $0, port: 0).host }
        broadcastAddresses = broadcasts.isEmpty ? ["255.255.255.255"] : broadcasts
    }

    /// The defaults, then the config file, then the environment.
    /// - Throws: ``/MailslotCore/MailslotError/invalidParameter(_:)`` for a value that cannot be used.
    public static func standard() throws(MailslotError) -> NetworkConfiguration {
        var configuration = NetworkConfiguration()
        let explicitFile = getenv("MAILSLOT_CONFIG").map { String(cString: $0) }
        let file = explicitFile ?? "/etc/mailslot.conf"
        if let bytes = system_readFile(file) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters }
                guard parts.count == 2, !parts[0].isEmpty else { continue }
                try configuration.set(parts[0], to: parts[1], source: file)
            }
        } else if let explicitFile {
            throw .invalidParameter("cannot read the config file \(explicitFile)")
        }
        for (key, variable) in Self.environmentKeys {
            if let value = getenv(variable).map({ String(cString: $0) }), !value.isEmpty {
                try configuration.set(key, to: value, source: variable)
            }
        }
        return configuration
    }

    static let environmentKeys = [
        ("computer-name", "MAILSLOT_COMPUTER_NAME"), ("domain", "MAILSLOT_DOMAIN"), ("udp-port", "MAILSLOT_UDP_PORT"),
        ("broadcast", "MAILSLOT_BROADCAST"), ("hosts-file", "MAILSLOT_HOSTS_FILE"), ("nbns-port", "MAILSLOT_NBNS_PORT"),
        ("nbns-attempts", "MAILSLOT_NBNS_ATTEMPTS"), ("nbns-interval", "MAILSLOT_NBNS_INTERVAL"),
        ("send-through-service", "MAILSLOT_SEND_THROUGH_SERVICE"), ("bind", "MAILSLOT_BIND"),
        ("allow-from", "MAILSLOT_ALLOW_FROM"), ("relay", "MAILSLOT_RELAY"),
    ]

    /// Sets one setting by its file key.
    /// - Throws: ``/MailslotCore/MailslotError/invalidParameter(_:)`` naming `source` for a bad value or key.
    public mutating func set(_ key: String, to value: String, source: String = "argument") throws(MailslotError) {
        switch key {
        case "computer-name":
            guard (try? NetBIOSName(value, suffix: 0)) != nil else { throw .invalidParameter("\(source): bad computer name \(value)") }
            computerName = value.uppercased()
        case "domain":
            guard (try? NetBIOSName(value, suffix: 0)) != nil else { throw .invalidParameter("\(source): bad domain \(value)") }
            domain = value.uppercased()
        case "udp-port", "nbns-port":
            guard let port = UInt16(value), port > 0 else { throw .invalidParameter("\(source): bad port \(value)") }
            if key == "udp-port" { udpPort = port } else { nameServicePort = port }
        case "broadcast":
            let addresses = value.split(separator: ",").map { $0.trimmingCharacters }
            guard !addresses.isEmpty, addresses.allSatisfy({ IPv4Endpoint($0, port: 0) != nil }) else {
                throw .invalidParameter("\(source): bad broadcast address \(value)")
            }
            broadcastAddresses = addresses
        case "hosts-file":
            // Named but unreadable is an error now, not a name map that silently never matches.
            guard system_readFile(value) != nil else {
                throw .invalidParameter("\(source): cannot read the hosts file \(value)")
            }
            hostsFile = value
        case "send-through-service":
            sendsThroughService = try Self.yesOrNo(value, key: key, source: source)
        case "relay":
            relaysToOtherProcesses = try Self.yesOrNo(value, key: key, source: source)
        case "bind":
            guard IPv4Endpoint(value, port: 0) != nil else { throw .invalidParameter("\(source): bad bind address \(value)") }
            bindAddress = value
        case "allow-from":
            let networks = value.split(separator: ",").map { IPv4Network($0.trimmingCharacters) }
            guard !networks.isEmpty, networks.allSatisfy({ $0 != nil }) else {
                throw .invalidParameter("\(source): bad network \(value) (CIDR, e.g. 10.0.0.0/8)")
            }
            allowedSources = networks.compactMap { $0 }
        case "nbns-attempts":
            guard let attempts = Int(value), (1...10).contains(attempts) else { throw .invalidParameter("\(source): bad query count \(value) (1–10)") }
            nameQueryAttempts = attempts
        case "nbns-interval":
            guard let interval = Int(value), (1...60_000).contains(interval) else { throw .invalidParameter("\(source): bad query interval \(value) ms") }
            nameQueryMilliseconds = interval
        default:
            throw .invalidParameter("\(source): unknown setting \(key)")
        }
    }

    private static func yesOrNo(_ value: String, key: String, source: String) throws(MailslotError) -> Bool {
        switch value.lowercased() {
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw .invalidParameter("\(source): \(key) takes yes or no, not \(value)")
        }
    }

    /// This host's NetBIOS name with `suffix`.
    func name(suffix: UInt8) -> NetBIOSName { (try? NetBIOSName(computerName, suffix: suffix)) ?? (try! NetBIOSName("LOCALHOST", suffix: suffix)) }

    /// The domain's NetBIOS name with `suffix`.
    func domainName(suffix: UInt8) -> NetBIOSName { (try? NetBIOSName(domain, suffix: suffix)) ?? (try! NetBIOSName("WORKGROUP", suffix: suffix)) }
}

extension Substring {
    var trimmingCharacters: String {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return String(text)
    }
}
