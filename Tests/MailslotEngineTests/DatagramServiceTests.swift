import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import MailslotWire
import Testing

/// The datagram service and remote client forms, over real UDP sockets on loopback.
@Suite("Datagram service on loopback", .timeLimit(.minutes(5)))
struct DatagramServiceTests {
    /// A configuration for this host as `computer` in `domain`, sending to `port` on loopback.
    static func network(_ computer: String, port: UInt16, hostsFile: String? = nil) -> NetworkConfiguration {
        var configuration = NetworkConfiguration()
        configuration.computerName = computer
        configuration.domain = "TESTDOM"
        configuration.udpPort = port
        configuration.broadcastAddresses = ["127.255.255.255"]
        configuration.hostsFile = hostsFile
        configuration.nameQueryMilliseconds = 100
        configuration.nameQueryAttempts = 1
        // These tests write from the thread that runs the service's loop, and often before it
        // runs: straight from the writer's own port, not through the service's outbox.
        configuration.sendsThroughService = false
        return configuration
    }

    /// An engine running the datagram service on an ephemeral port.
    static func serviceEngine(_ computer: String) throws -> (MailslotEngine, UInt16) {
        let engine = try MailslotEngine()
        try engine.startDatagramService(network(computer, port: 0))
        return (engine, try #require(engine.datagramPort))
    }

    /// A new file per call: tests running at once with the same lines once shared one path, and
    /// one's truncating rewrite let another read it empty (a name that failed to resolve).
    static func hostsFile(_ lines: String) -> String {
        let path = "/tmp/mailslot-test-lmhosts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let file = fopen(path, "w")!
        fputs(lines, file)
        fclose(file)
        return path
    }

    /// Runs the loop in 10 ms steps until `done` (at most 2 s).
    static func run(_ engine: MailslotEngine, until done: () -> Bool) {
        for _ in 0..<200 where !done() { engine.runOnce(timeout: 0.01) }
    }

    func run(_ engine: MailslotEngine, until done: () -> Bool) { Self.run(engine, until: done) }

    @Test("a unicast write reaches the computer's mailslot with its origin")
    func unicastWithOrigin() throws {
        let (engine, port) = try Self.serviceEngine("RECEIVER")
        let path = uniqueMailslotPath("uni")
        let server = try engine.createMailslot(MailslotName(localPath: path))
        var got: [([UInt8], MessageOrigin?)] = []
        try server.onMessageWithOrigin { got.append(($0.byteArray, $1)) }
        let hosts = Self.hostsFile("127.0.0.1 receiver\n")
        let client = try MailslotClient(
            MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: Self.network("SENDER", port: port, hostsFile: hosts))
        try client.write("over the wire")
        run(engine) { !got.isEmpty }
        #expect(got.first?.0 == Array("over the wire".utf8))
        #expect(got.first?.1?.sourceName == "SENDER<00>")
        #expect(got.first?.1?.destinationName == "RECEIVER<00>")
        #expect(got.first?.1?.kind == "unique")
        #expect(got.first?.1?.address.hasPrefix("127.0.0.1:") == true)
        #expect(engine.datagramStatistics?.delivered == 1)
    }

    @Test("a domain write (\\\\* and \\\\DOMAIN) is a group broadcast that reaches the mailslot; > 424 bytes is bad-netpath")
    func domainWrite() throws {
        let (engine, port) = try Self.serviceEngine("RECEIVER")
        let path = "dom\(getpid() % 100_000)"  // short: \MAILSLOT\ + 8 characters leaves room for 424 bytes
        let server = try engine.createMailslot(MailslotName(localPath: path))
        var got: [MessageOrigin?] = []
        try server.onMessageWithOrigin { _, origin in got.append(origin) }
        let network = Self.network("SENDER", port: port)
        try MailslotClient(MailslotName("\\\\*\\mailslot\\" + path), network: network).write("star")
        try MailslotClient(MailslotName("\\\\testdom\\mailslot\\" + path), network: network).write("named")
        run(engine) { got.count == 2 }
        #expect(got.map { $0?.kind } == ["group", "group"])
        #expect(got.map { $0?.destinationName } == ["TESTDOM<00>", "TESTDOM<00>"])
        let client = try MailslotClient(MailslotName("\\\\*\\mailslot\\" + path), network: network)
        #expect(throws: MailslotError.badNetPath("a message to a domain holds at most 424 bytes, not 425")) {
            try client.write([UInt8](repeating: 1, count: 425))
        }
        try client.write([UInt8](repeating: 2, count: 424))
        run(engine) { got.count == 3 }
        #expect(got.count == 3)
    }

    @Test("a batched remote write sends every message with sendmmsg, in order")
    func batchedRemoteWrite() throws {
        let (engine, port) = try Self.serviceEngine("RECEIVER")
        let path = uniqueMailslotPath("rbatch")
        let server = try engine.createMailslot(MailslotName(localPath: path))
        var got: [[UInt8]] = []
        try server.onMessage { got.append($0.byteArray) }
        let hosts = Self.hostsFile("127.0.0.1 RECEIVER\n")
        let client = try MailslotClient(
            MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: Self.network("SENDER", port: port, hostsFile: hosts))
        let batch = MailslotWriteBatch(capacity: 20, maxMessageSize: 64)
        for round in 0..<3 {
            for index in 0..<20 { _ = try Array("r\(round)m\(index)".utf8).withUnsafeBytes { try batch.append($0) } }
            #expect(try client.write(batch) == 20)
            #expect(batch.isEmpty)
        }
        run(engine) { got.count == 60 }
        #expect(got == (0..<3).flatMap { round in (0..<20).map { Array("r\(round)m\($0)".utf8) } })
    }

    @Test("datagrams for other computers, malformed ones and unknown mailslots are dropped and counted")
    func dropsByCause() throws {
        let (engine, port) = try Self.serviceEngine("RECEIVER")
        let hosts = Self.hostsFile("127.0.0.1 OTHERHOST\n127.0.0.1 RECEIVER\n")
        let network = Self.network("SENDER", port: port, hostsFile: hosts)
        try MailslotClient(MailslotName("\\\\OTHERHOST\\mailslot\\x"), network: network).write("not for us")
        try MailslotClient(MailslotName("\\\\RECEIVER\\mailslot\\" + uniqueMailslotPath("none")), network: network).write("nobody")
        let raw = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { system_close(raw) }
        _ = try [UInt8](repeating: 0x10, count: 40).withUnsafeBytes { try system_sendto(raw, $0, to: IPv4Endpoint(address: 0x7F00_0001, port: port)) }
        run(engine) { (engine.datagramStatistics?.received ?? 0) >= 3 }
        let drops = try #require(engine.datagramStatistics?.drops)
        #expect(drops.wrongDestination == 1)
        #expect(drops.unknownMailslot == 1)
        #expect(drops.malformed == 1)
    }

    @Test("a remote message for another process's mailslot is relayed through the local transport")
    func relayToAnotherEngine() throws {
        let (relayEngine, port) = try Self.serviceEngine("RECEIVER")
        let owner = try MailslotEngine()
        let path = uniqueMailslotPath("relay")
        let server = try owner.createMailslot(MailslotName(localPath: path), readTimeout: .milliseconds(2000))
        let hosts = Self.hostsFile("127.0.0.1 RECEIVER\n")
        try MailslotClient(MailslotName("\\\\RECEIVER\\mailslot\\" + path), network: Self.network("SENDER", port: port, hostsFile: hosts))
            .write("relayed")
        run(relayEngine) { relayEngine.datagramStatistics?.relayed == 1 }
        #expect(try server.readMessage() == Array("relayed".utf8))
    }

    @Test("a second datagram service on the same port is refused: one per host")
    func onePerHost() throws {
        let (first, port) = try Self.serviceEngine("RECEIVER")
        let second = try MailslotEngine()
        #expect(throws: MailslotError.alreadyExists("UDP port \(port) (another datagram service runs on this host)")) {
            try second.startDatagramService(Self.network("RECEIVER", port: port))
        }
        withExtendedLifetime(first) {}
    }

    @Test("an unresolvable computer name fails with bad-netpath")
    func unresolvable() throws {
        var network = Self.network("SENDER", port: 41_999)
        network.nameServicePort = 41_998  // nobody answers here
        #expect(throws: MailslotError.badNetPath("cannot resolve the computer name NO-SUCH-HOST-X")) {
            try MailslotClient(MailslotName("\\\\NO-SUCH-HOST-X\\mailslot\\x"), network: network)
        }
    }

    @Test("configuration: file, then environment, then explicit settings; bad values are typed errors")
    func configurationLayers() throws {
        let file = Self.hostsFile("computer-name = fromfile\ndomain = FILEDOM # a comment\nudp-port = 1138\nbroadcast = 10.1.2.255, 10.9.9.255\n")
        setenv("MAILSLOT_CONFIG", file, 1)
        setenv("MAILSLOT_DOMAIN", "ENVDOM", 1)
        defer {
            unsetenv("MAILSLOT_CONFIG")
            unsetenv("MAILSLOT_DOMAIN")
        }
        var configuration = try NetworkConfiguration.standard()
        #expect(configuration.computerName == "FROMFILE")
        #expect(configuration.domain == "ENVDOM")
        #expect(configuration.udpPort == 1138)
        #expect(configuration.broadcastAddresses == ["10.1.2.255", "10.9.9.255"])
        try configuration.set("domain", to: "flagdom")
        #expect(configuration.domain == "FLAGDOM")
        #expect(throws: MailslotError.invalidParameter("argument: bad port 0")) { try configuration.set("udp-port", to: "0") }
        #expect(throws: MailslotError.invalidParameter("argument: bad broadcast address 10.1.2")) {
            try configuration.set("broadcast", to: "10.1.2")
        }
        #expect(throws: MailslotError.invalidParameter("argument: unknown setting colour")) { try configuration.set("colour", to: "x") }
    }

    @Test("the lmhosts map takes quoted names, #xx suffixes and comments")
    func lmhosts() throws {
        let hosts = Self.hostsFile("# comment\n10.0.0.7  \"QUOTED\"  #PRE\n10.0.0.8 DCNAME#1c\n10.0.0.9 plain\n")
        let resolver = NameResolver(configuration: Self.network("X", port: 1, hostsFile: hosts))
        #expect(try resolver.lookUpHostsFile("quoted", suffix: 0) == 0x0A00_0007)
        #expect(try resolver.lookUpHostsFile("DCNAME", suffix: 0x1C) == 0x0A00_0008)
        #expect(try resolver.lookUpHostsFile("DCNAME", suffix: 0) == nil)
        #expect(try resolver.lookUpHostsFile("PLAIN", suffix: 0) == 0x0A00_0009)
    }
}
