import Glibc
import MailslotTestSupport
import Testing

/// Three hosts on a bridge (network namespaces made by the test), each with its own engine on
/// UDP 138, talking MS-MAIL to each other.
@Suite(
    "Across hosts (network namespaces)", .serialized,
    .enabled(if: NetworkLab.unavailableReason == nil, "\(NetworkLab.unavailableReason ?? "")"), .timeLimit(.minutes(10)))
struct MultiHostTests {
    let binary = MailslotBinary.path

    /// The messages a `serve --format json` printed (their "text" fields).
    func texts(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.firstRange(of: "\"text\":\"") else { return nil }
            let rest: Substring = line[range.upperBound...]
            return String(rest.prefix { $0 != "\"" })
        }
    }

    @Test("a host's mailslot registry folder (/dev/shm/mailslot.<netns>) goes with its namespace")
    func registryFolderGoesWithTheNamespace() throws {
        var folders: [String] = []
        do {
            let lab = try NetworkLab(hosts: 2, label: "r")
            for (index, host) in lab.hosts.enumerated() {
                var status = stat()
                #expect(stat("/run/netns/\(host)", &status) == 0)
                folders.append("/dev/shm/mailslot.\(status.st_ino)")
                #expect(try lab.run(index, binary, ["list"]).code == 0)  // makes the folder
                #expect(access(folders[index], F_OK) == 0, "\(folders[index]) was not made")
            }
        }
        for folder in folders { #expect(access(folder, F_OK) != 0, "\(folder) was left behind") }
    }

    @Test("a domain broadcast reaches every host's mailslot once (the sender's own included); a unicast reaches one host")
    func broadcastAndUnicast() throws {
        let lab = try NetworkLab(hosts: 3, label: "a")
        let hostsFile = temporaryFile("lmhosts", (0..<3).map { "\(lab.address($0)) H\($0 + 1)\n" }.joined())
        let common = ["--domain", "TESTDOM", "--broadcast", NetworkLab.broadcast, "--hosts-file", hostsFile]
        // H1 and H2 run the datagram service inside serve (embedded); H3 runs a relay and a
        // plain serve, so its message crosses the local transport.
        var servers: [ChildProcess] = []
        // Each server exits after the messages it expects (a short read timeout would race a
        // slow start of the writers on a loaded machine), and the long timeout bounds a failure.
        for (index, expected) in [2, 3].enumerated() {
            let server = try lab.spawn(index, binary, ["serve", "x", "--udp-port", "138", "--computer-name", "H\(index + 1)", "--count", "\(expected)", "--timeout", "30000", "--format", "json"] + common)
            #expect(server.waitForStderrLine(startingWith: "ready") != nil)
            servers.append(server)
        }
        let relay = try lab.spawn(2, binary, ["relay", "--udp-port", "138", "--computer-name", "H3"] + common)
        #expect(relay.waitForStderrLine(startingWith: "ready relay") != nil)
        let third = try lab.spawn(2, binary, ["serve", "x", "--count", "2", "--timeout", "30000", "--format", "json"])
        #expect(third.waitForStderrLine(startingWith: "ready") != nil)
        servers.append(third)

        let toAll = try lab.run(0, binary, ["write", "\\\\*\\mailslot\\x", "to all", "--computer-name", "H1"] + common)
        #expect(toAll.code == 0, "\(toAll.stderr)")
        let toTwo = try lab.run(0, binary, ["write", "\\\\H2\\mailslot\\x", "only h2", "--computer-name", "H1"] + common)
        #expect(toTwo.code == 0, "\(toTwo.stderr)")
        let named = try lab.run(2, binary, ["write", "\\\\TESTDOM\\mailslot\\x", "domain by name", "--computer-name", "H3"] + common)
        #expect(named.code == 0, "\(named.stderr)")

        for server in servers { _ = server.waitForExit(timeout: 40) }
        relay.kill(SIGINT)
        _ = relay.waitForExit(timeout: 5)
        #expect(texts(servers[0].standardOutput) == ["to all", "domain by name"])
        #expect(texts(servers[1].standardOutput) == ["to all", "only h2", "domain by name"])
        #expect(texts(servers[2].standardOutput) == ["to all", "domain by name"])
        #expect(servers[1].standardOutput.contains("\"from\":{\"address\":\"10.138.0.1:"))
        #expect(servers[1].standardOutput.contains("\"name\":\"H1<00>\",\"to\":\"H2<00>\",\"kind\":\"unique\""))
        #expect(relay.standardError.contains("2 relayed"), "\(relay.standardError)")
    }

    @Test("a write to a computer nobody can resolve fails with bad-netpath, and one to a silent host is simply lost")
    func unreachable() throws {
        let lab = try NetworkLab(hosts: 2, label: "b")
        let silent = temporaryFile("lmhosts", "10.138.0.2 SILENT\n")
        let lost = try lab.run(0, binary, ["write", "\\\\SILENT\\mailslot\\x", "into the void", "--hosts-file", silent])
        #expect(lost.code == 0)  // datagrams are unacknowledged
        let unknown = try lab.run(0, binary, ["write", "\\\\NOBODY\\mailslot\\x", "hi", "--broadcast", NetworkLab.broadcast])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("ERROR_BAD_NETPATH"))
    }
}
