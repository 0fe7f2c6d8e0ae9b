import ArgumentParser
import MailslotEngine

/// The network settings every command takes; they override the config file and environment
/// (see `NetworkConfiguration`).
struct NetworkOptions: ParsableArguments {
    @Option(help: "This computer's NetBIOS name (default: the host name, upper-cased).")
    var computerName: String?

    @Option(help: "The domain that \\\\* and \\\\DOMAIN name (default: WORKGROUP).")
    var domain: String?

    @Option(help: "The NetBIOS datagram port: where remote writes go, and, for serve and relay, the port to own (default 138).")
    var udpPort: UInt16?

    @Option(help: "A broadcast address for domain writes (repeatable; default: every interface's).")
    var broadcast: [String] = []

    @Option(help: "A name map in lmhosts format (ADDRESS NAME lines), searched first when resolving computer names.")
    var hostsFile: String?

    @Option(help: "For remote writes: the NetBIOS name type to address, in hex (default 00; 1d: a domain's master browser, 1c: its domain controllers).")
    var nameType: String?

    @Option(help: ArgumentHelp("The NetBIOS name service port for name queries (default 137).", visibility: .hidden))
    var nbnsPort: UInt16?

    @Option(help: "Name queries sent before a computer name counts as unresolvable (default 3, as Windows).")
    var nbnsAttempts: Int?

    @Option(help: "Milliseconds between name queries (default 750, as Windows).")
    var nbnsInterval: Int?

    @Option(help: "For serve and relay: the address the datagram service binds (default 0.0.0.0; an interface's address takes only its unicast datagrams, no broadcasts).")
    var bind: String?

    @Option(name: .customLong("allow-from"), help: "For serve and relay: take datagrams only from this network (CIDR, e.g. 10.0.0.0/8; repeatable). Others are counted as access-denied.")
    var allowFrom: [String] = []

    @Flag(name: .customLong("no-relay"), help: "For serve and relay: hand remote messages only to this process's mailslots, not to other processes' (the rest count as unknown-mailslot).")
    var noRelay = false

    /// The configuration: defaults, config file, environment, then these flags.
    func configuration() throws(MailslotError) -> NetworkConfiguration {
        var configuration = try NetworkConfiguration.standard()
        if let computerName { try configuration.set("computer-name", to: computerName, source: "--computer-name") }
        if let domain { try configuration.set("domain", to: domain, source: "--domain") }
        if let udpPort { configuration.udpPort = udpPort }
        if !broadcast.isEmpty { try configuration.set("broadcast", to: broadcast.joined(separator: ","), source: "--broadcast") }
        if let hostsFile { try configuration.set("hosts-file", to: hostsFile, source: "--hosts-file") }
        if let nbnsPort { configuration.nameServicePort = nbnsPort }
        if let bind { try configuration.set("bind", to: bind, source: "--bind") }
        if !allowFrom.isEmpty { try configuration.set("allow-from", to: allowFrom.joined(separator: ","), source: "--allow-from") }
        if noRelay { configuration.relaysToOtherProcesses = false }
        if let nbnsAttempts { try configuration.set("nbns-attempts", to: String(nbnsAttempts), source: "--nbns-attempts") }
        if let nbnsInterval { try configuration.set("nbns-interval", to: String(nbnsInterval), source: "--nbns-interval") }
        if let nameType {
            guard let suffix = UInt8(nameType, radix: 16) else { throw .invalidParameter("--name-type takes a hex byte, not \(nameType)") }
            configuration.destinationSuffix = suffix
        }
        return configuration
    }
}
