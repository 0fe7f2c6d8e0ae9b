import Glibc
import MailslotTestSupport
import Testing

/// Samba as a real peer, in network namespaces: nmbd (the NetBIOS name and browse service) and
/// smbtorture (Samba's source4 datagram library).
@Suite(
    "Interop with Samba (nmbd, smbtorture)", .serialized,
    .enabled(if: NetworkLab.unavailableReason == nil, "\(NetworkLab.unavailableReason ?? "")"), .timeLimit(.minutes(10)))
struct SambaInteropTests {
    let binary = MailslotBinary.path
    static let nmbd = access("/usr/sbin/nmbd", X_OK) == 0
    static let smbtorture = access("/usr/bin/smbtorture", X_OK) == 0 && access("/usr/bin/unshare", X_OK) == 0

    /// A Samba configuration whose state lives in a fresh temporary folder.
    static func sambaConfiguration(_ lines: [String]) -> (directory: String, file: String) {
        let directory = "/tmp/mailslot-samba-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(directory, 0o755)
        var text = "[global]\n"
        for folder in ["lock", "state", "cache", "private", "pid", "ncalrpc", "log"] {
            mkdir(directory + "/" + folder, 0o755)
            let key = folder == "private" ? "private dir" : folder == "log" ? "log file" : folder + " directory"
            text += "   \(key) = \(directory)/\(folder)\(folder == "log" ? "/log.%m" : "")\n"
        }
        text += lines.map { "   " + $0 + "\n" }.joined()
        let file = directory + "/smb.conf"
        if let handle = fopen(file, "w") {
            fputs(text, handle)
            fclose(handle)
        }
        return (directory, file)
    }

    static func remove(_ directory: String) {
        _ = (try? ChildProcess("/bin/rm", ["-rf", directory]))?.waitForExit(timeout: 10)
    }

    /// A MS-BRWS HostAnnouncement for `server` (opcode 1), as hex.
    static func hostAnnouncement(server: String, comment: String) -> String {
        var bytes: [UInt8] = [0x01, 0x00, 0x60, 0xEA, 0x00, 0x00]  // opcode, update count, periodicity 60000 ms
        bytes += Array(server.utf8) + [UInt8](repeating: 0, count: 16 - server.utf8.count)
        bytes += [6, 1, 0x03, 0x10, 0x01, 0x00, 15, 1, 0x55, 0xAA]  // OS 6.1, type 0x00011003, browser 15.1, 0xAA55
        bytes += Array(comment.utf8) + [0]
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test(
        "nmbd: answers our name query and takes our unique write; our BROWSE mailslot gets its announcement; ours enters its browse list",
        .enabled(if: nmbd, "Samba's nmbd is not installed (scripts/setup-peers.sh installs samba)"))
    func nmbdBrowse() throws {
        let lab = try NetworkLab(hosts: 2, label: "n")
        let samba = Self.sambaConfiguration([
            "workgroup = TESTDOMAIN", "netbios name = SAMBAH1", "interfaces = eth0", "bind interfaces only = yes",
            "local master = yes", "preferred master = yes", "os level = 65", "domain master = no", "wins support = no",
            "dns proxy = no", "disable netbios = no", "server role = standalone server", "log level = 4",
        ])
        defer { Self.remove(samba.directory) }
        let browse = try lab.spawn(
            1, binary, ["serve", "BROWSE", "--udp-port", "138", "--computer-name", "H2", "--domain", "TESTDOMAIN", "--format", "json"])
        #expect(browse.waitForStderrLine(startingWith: "ready") != nil)
        let nmbd = try lab.spawn(0, "/usr/bin/timeout", ["60", "/usr/sbin/nmbd", "-F", "--debug-stdout", "-d", "4", "-s", samba.file])
        defer {
            // nmbd runs in a process group of its own and outlived a SIGTERM sent through
            // timeout: kill it by its configuration path, which only it has on its command line.
            nmbd.kill(SIGTERM)
            _ = try? ChildProcess("/usr/bin/pkill", ["-KILL", "-f", samba.file]).waitForExit(timeout: 10)
        }
        // nmbd announces itself on \MAILSLOT\BROWSE (DIRECT_GROUP to TESTDOMAIN<1d>) at start-up.
        let announcement = browse.waitForStdoutLine(startingWith: "{", timeout: 15)
        #expect(announcement?.contains("\"name\":\"SAMBAH1<00>\",\"to\":\"TESTDOMAIN<1d>\",\"kind\":\"group\"") == true, "\(announcement ?? "none")")
        #expect(announcement?.contains("\"hex\":\"01") == true)  // opcode 1: HostAnnouncement
        #expect(announcement?.contains("53414d424148310000") == true)  // server name SAMBAH1
        // \\SAMBAH1 resolves by a NetBIOS name query that nmbd answers (no name map, no DNS), and
        // nmbd receives the unique write (it logs mailslot writes to names it owns at -d 4).
        // nmbd answers name queries once its names are registered, a few seconds after start.
        var received = false
        var resolved = false
        for _ in 0..<15 where !received {
            let unique = try lab.run(1, binary, [
                "write", "\\\\SAMBAH1\\mailslot\\TEST", "hello", "--computer-name", "H2", "--domain", "TESTDOMAIN",
                "--broadcast", NetworkLab.broadcast,
            ])
            resolved = resolved || unique.code == 0
            for _ in 0..<10 where !received && unique.code == 0 {
                _ = nmbd.waitForExit(timeout: 0.1)
                received = nmbd.standardOutput.contains("datagram from H2<00> to SAMBAH1<00> IP 10.138.0.2 for \\MAILSLOT\\TEST of type 104 len=5")
            }
        }
        #expect(resolved, "no answer to our NetBIOS name query for SAMBAH1")
        #expect(received, "\(nmbd.standardOutput.suffix(3000))")
        // nmbd takes announcements once it is the local master browser (about 23 s after start).
        var master = false
        for _ in 0..<400 where !master {
            _ = nmbd.waitForExit(timeout: 0.1)
            master = nmbd.standardOutput.contains("is now a local master browser for workgroup TESTDOMAIN")
        }
        #expect(master, "nmbd did not become master: \(nmbd.standardOutput.suffix(2000))")
        let sent = try lab.run(1, binary, [
            "write", "\\\\TESTDOMAIN\\mailslot\\BROWSE", Self.hostAnnouncement(server: "H2", comment: "mailslot peer"), "--hex",
            "--name-type", "1d", "--computer-name", "H2", "--domain", "TESTDOMAIN", "--broadcast", NetworkLab.broadcast,
        ])
        #expect(sent.code == 0, "\(sent.stderr)")
        var listed = false
        for _ in 0..<100 where !listed {
            _ = nmbd.waitForExit(timeout: 0.1)
            listed = nmbd.standardOutput.contains("Created server entry H2 of type 40011003 (mailslot peer) on workgroup TESTDOMAIN")
        }
        #expect(listed, "\(nmbd.standardOutput.suffix(3000))")
        #expect(nmbd.standardOutput.contains("process_host_announce: from H2<00> IP 10.138.0.2 to TESTDOMAIN<1d> for server H2"))
        browse.kill(SIGTERM)
    }

    @Test(
        "smbtorture nbt.dgram.netlogon passes against the NETLOGON responder built on the public API",
        .enabled(if: smbtorture, "smbtorture (samba-testsuite) or unshare is not installed"))
    func smbtortureNetlogon() throws {
        let lab = try NetworkLab(hosts: 2, label: "x")
        let responder = try lab.spawn(0, MailslotBinary.path + "-netlogon-responder", [
            "--computer-name", "PDC", "--domain", "TESTDOMAIN", "--udp-port", "138", "--count", "1",
        ])
        #expect(responder.waitForStdoutLine(startingWith: "ready netlogon", timeout: 10) != nil)
        // smbtorture reads lmhosts from /etc/samba only: give it its own /etc/samba in a private
        // mount namespace (nothing on the machine changes).
        let samba = Self.sambaConfiguration([
            "workgroup = TESTDOMAIN", "netbios name = SMBTORTURE", "interfaces = eth0", "bind interfaces only = yes",
            "name resolve order = lmhosts", "server role = standalone server", "local master = no", "domain master = no",
        ])
        defer { Self.remove(samba.directory) }
        if let handle = fopen(samba.directory + "/lmhosts", "w") {
            fputs("\(lab.address(0)) TESTDOMAIN#1c\n", handle)
            fclose(handle)
        }
        let torture = try lab.run(1, "/usr/bin/unshare", [
            "-m", "sh", "-c",
            "mount --bind \(samba.directory) /etc/samba && timeout 30 smbtorture --configfile=/etc/samba/smb.conf //\(lab.address(0))/ipc$ -U% nbt.dgram.netlogon",
        ], timeout: 40)
        #expect(torture.stdout.contains("success: netlogon"), "\(torture.stdout)\n\(torture.stderr)")
        #expect(responder.waitForExit(timeout: 5) == 0)
        #expect(responder.standardOutput.contains("answered TORTURE_TEST (10.138.0.2:"))
    }
}
