import Glibc
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// A second local user attacks root's mailslots: real processes, the attacker running as an
/// unprivileged uid through `setpriv`. Each attack must fail with a clear error or do no harm,
/// within a bounded time. Every test uses a registry folder of its own
/// (`MAILSLOT_RUNTIME_DIR`), so the attacks cannot touch other tests.
@Suite("A hostile local user", .enabled(if: HostileLab.available, HostileLab.skipReason), .timeLimit(.minutes(5)))
struct HostileUserTests {
    let lab: HostileLab

    init() throws { lab = try HostileLab() }

    @Test("a symlink planted for a name: root's serve replaces the link and never writes through it")
    func plantedSymlink() throws {
        let path = uniqueMailslotPath("link")
        let target = lab.folder + "-victim"
        try HostileLab.writeFile(target, "root's secret\n", mode: 0o600)
        defer { unlink(target) }
        #expect(lab.attacker("ln -s \(target) \(lab.entryPath(path))").code == 0)
        let server = try lab.serve(path, count: 1)
        #expect(try lab.root("write '\(path)' hello").code == 0)
        #expect(server.waitForExit(timeout: 10) == 0)
        #expect(readTextFile(target) == "root's secret\n")
    }

    @Test("a FIFO planted for a name: writers, list and serve finish at once and ignore it")
    func plantedFIFO() throws {
        let path = uniqueMailslotPath("fifo")
        #expect(lab.attacker("mkfifo -m 666 \(lab.entryPath(path))").code == 0)
        let writer = try lab.root("write '\(path)' hello")
        #expect(writer.code == 2 || writer.code == 1)
        #expect(writer.stderr.contains("ERROR_FILE_NOT_FOUND"), "\(writer.stderr)")
        #expect(try lab.root("list").code == 0)
        let server = try lab.serve(path, count: 1)
        #expect(try lab.root("write '\(path)' hello").code == 0)
        #expect(server.waitForExit(timeout: 10) == 0)
    }

    @Test("a folder planted at a name: root's serve moves it aside and removes it; another user is told who can", .timeLimit(.minutes(1)))
    func plantedFolder() throws {
        let path = uniqueMailslotPath("dir")
        let entry = lab.entryPath(path)
        #expect(lab.attacker("mkdir -p \(entry)/a/b && touch \(entry)/a/b/f \(entry)/g && ln -s / \(entry)/root").code == 0)
        let refused = try lab.run(asUID: HostileLab.bystander, "serve '\(path)' --count 1")
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("ERROR_ACCESS_DENIED") && refused.stderr.contains("a folder owned by uid \(HostileLab.attacker)")
            && refused.stderr.contains("rm -r"), "\(refused.stderr)")
        let server = try lab.serve(path, count: 1)
        var status = stat()
        #expect(lstat(entry, &status) == 0 && status.st_mode & S_IFMT == S_IFREG && status.st_uid == 0)
        #expect(try lab.root("write '\(path)' hello").code == 0)
        #expect(server.waitForExit(timeout: 10) == 0)
        #expect(server.standardOutput == "hello\n")
        // Nothing of the folder is left, hidden or not, and the link's target is untouched.
        let left = try lab.root("list").stdout
        #expect(!left.contains(path))
        #expect(access("/etc/passwd", F_OK) == 0)
        #expect(lab.attacker("ls -A \(lab.folder)").stdout.isEmpty)
    }

    /// A python3 sender of `count` datagrams, each carrying `descriptors` descriptors
    /// (`SCM_RIGHTS`), to the mailslot whose registry key is `key`; then `plain` datagrams
    /// without. It waits and retries when the kernel refuses more descriptors in flight.
    static func descriptorSender(key: String, count: Int, descriptors: Int, plain: Int = 0) -> String {
        """
        /usr/bin/python3 -c "
        import os, socket, time
        fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(\(descriptors))]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.connect(b'\\0mailslot/\(key)')
        sent = 0
        while sent < \(count):
            try:
                socket.send_fds(s, [b'a message with descriptors'], fds); sent += 1
            except OSError:
                time.sleep(0.001)
        for _ in range(\(plain)): s.send(b'plain')
        "
        """
    }

    @Test("datagrams carrying 200 descriptors each, from an allowed uid, a refused uid, and into a default mailslot: each counted, none leaked", .timeLimit(.minutes(1)))
    func descriptorDatagrams() throws {
        let listed = uniqueMailslotPath("fdacl")
        let open = uniqueMailslotPath("fdany")
        let guarded = try lab.serve(listed, count: 1, extra: "--allow-uid \(HostileLab.bystander)")
        let anyone = try lab.serve(open, count: 1)
        let descriptorsBefore = [guarded, anyone].map { Self.openDescriptors($0.pid) }
        let refused = lab.attacker(Self.descriptorSender(key: try lab.key(listed), count: 300, descriptors: 200, plain: 100))
        #expect(refused.code == 0, "\(refused.stderr)")
        let allowed = try lab.shell(asUID: HostileLab.bystander, Self.descriptorSender(key: try lab.key(listed), count: 300, descriptors: 200))
        #expect(allowed.code == 0, "\(allowed.stderr)")
        let anyUser = lab.attacker(Self.descriptorSender(key: try lab.key(open), count: 300, descriptors: 200))
        #expect(anyUser.code == 0, "\(anyUser.stderr)")
        // Every descriptor that came in is closed once the servers have read what was sent.
        let deadline = system_monotonicSeconds() + 5
        while [guarded, anyone].map({ Self.openDescriptors($0.pid) }) != descriptorsBefore, system_monotonicSeconds() < deadline {
            usleep(10_000)
        }
        #expect([guarded, anyone].map { Self.openDescriptors($0.pid) } == descriptorsBefore)
        #expect(try lab.root("write '\(listed)' last").code == 0)
        #expect(try lab.root("write '\(open)' last").code == 0)
        #expect(guarded.waitForExit(timeout: 10) == 0 && anyone.waitForExit(timeout: 10) == 0)
        #expect(guarded.standardOutput == "last\n" && anyone.standardOutput == "last\n")
        #expect(guarded.standardError.contains("700 dropped (access-denied 400, carried-descriptors 300)"), "\(guarded.standardError)")
        #expect(anyone.standardError.contains("300 dropped (carried-descriptors 300)"), "\(anyone.standardError)")
    }

    /// How many descriptors process `pid` has open now.
    static func openDescriptors(_ pid: pid_t) -> Int {
        guard let directory = opendir("/proc/\(pid)/fd") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = system_entryName(entry)
            if name != "." && name != ".." { count += 1 }
        }
        return count
    }

    @Test("a registry folder another user made first: root takes it over; another user refuses it with a reason")
    func foreignFolder() throws {
        try lab.removeFolder()
        #expect(lab.attacker("mkdir -m 777 \(lab.folder)").code == 0)
        let refused = try lab.run(asUID: HostileLab.bystander, "serve '\(uniqueMailslotPath("fold"))' --count 1")
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("ERROR_ACCESS_DENIED") && refused.stderr.contains("uid \(HostileLab.attacker)"), "\(refused.stderr)")
        let path = uniqueMailslotPath("fold")
        let server = try lab.serve(path, count: 1)
        #expect(try lab.root("write '\(path)' hello").code == 0)
        #expect(server.waitForExit(timeout: 10) == 0)
        var status = stat()
        #expect(stat(lab.folder, &status) == 0 && status.st_uid == 0 && status.st_mode & 0o7777 == 0o1777)
    }

    @Test("forged entries (max size 1, a false name): one planted early is replaced; one planted for a live socket is not believed")
    func forgedEntry() throws {
        let path = uniqueMailslotPath("forge")
        let entry = lab.entryPath(path)
        let forge = { (inode: String) in
            "printf 'mailslot-registry 2\\n1\\n1\\nFAKE\\n0\\n%s\\nany\\n' \(inode) > \(entry); chmod 666 \(entry)"
        }
        #expect(lab.attacker(forge("1")).code == 0)
        let server = try lab.serve(path, count: 2)
        var status = stat()
        #expect(lstat(entry, &status) == 0 && status.st_uid == 0)
        #expect(try lab.root("write '\(path)' 'more than one byte'").code == 0)
        // The entry is lost (say root removed it); the attacker plants one naming the live
        // socket's inode, read from /proc/net/unix. Its owner is not the socket's: not believed.
        #expect(unlink(entry) == 0)
        let inode = "$(awk '$8 == \"@mailslot/\(try lab.key(path))\" { print $7 }' /proc/net/unix)"
        #expect(lab.attacker(forge(inode)).code == 0)
        #expect(readTextFile(entry)?.contains("FAKE") == true)
        #expect(try lab.root("write '\(path)' 'still more than one byte'").code == 0)
        #expect(!(try lab.root("list").stdout.contains("FAKE")))
        #expect(server.waitForExit(timeout: 10) == 0)
        #expect(server.standardOutput == "more than one byte\nstill more than one byte\n")
    }

    @Test("an exclusive lock held on root's entry, and an attempt to delete it: nothing waits, nothing is lost")
    func heldLockAndDelete() throws {
        let path = uniqueMailslotPath("lock")
        let server = try lab.serve(path, count: 2)
        let holder = try lab.attackerInBackground("exec flock -x \(lab.entryPath(path)) sleep 30")
        defer { holder.kill(SIGKILL); _ = holder.waitForExit(timeout: 5) }
        usleep(200_000)
        let started = system_monotonicSeconds()
        #expect(try lab.root("write '\(path)' one").code == 0)
        let listing = try lab.root("list")
        #expect(listing.stdout.contains(path))
        #expect(lab.attacker("rm -f \(lab.entryPath(path))").code != 0)
        #expect(access(lab.entryPath(path), F_OK) == 0)
        #expect(try lab.root("write '\(path)' two").code == 0)
        #expect(system_monotonicSeconds() - started < 5)
        #expect(server.waitForExit(timeout: 10) == 0)
    }

    @Test("a mailslot that lists only other users: the attacker's writer is refused with ERROR_ACCESS_DENIED, its raw datagrams are counted and dropped")
    func accessList() throws {
        let path = uniqueMailslotPath("acl")
        let server = try lab.serve(path, count: 2, extra: "--allow-uid \(HostileLab.bystander) --allow-gid \(HostileLab.group)")
        let refused = lab.attacker("'\(lab.binary)' write '\(path)' intruder")
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("ERROR_ACCESS_DENIED"), "\(refused.stderr)")
        // Around the writer's own check, straight at the socket: the kernel's credentials tell.
        let key = try lab.key(path)
        let raw = lab.attacker(
            "/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
                + "[s.sendto(b'raw intruder', b'\\0mailslot/\(key)') for _ in range(3)]\"")
        #expect(raw.code == 0, "\(raw.stderr)")
        #expect(try lab.run(asUID: HostileLab.bystander, "write '\(path)' 'by uid'").code == 0)
        #expect(try lab.run(asUID: HostileLab.attacker, gid: HostileLab.group, "write '\(path)' 'by gid'").code == 0)
        #expect(server.waitForExit(timeout: 10) == 0)
        #expect(server.standardOutput == "by uid\nby gid\n")
        #expect(server.standardError.contains("access-denied 3"), "\(server.standardError)")
    }

    @Test("a name another user took first: write --owner self refuses it; list shows the owner")
    func squattedName() throws {
        let path = uniqueMailslotPath("squat")
        let squatter = try lab.inBackground(asUID: HostileLab.attacker, "'\(lab.binary)' serve '\(path)' --count 1")
        #expect(squatter.waitForStderrLine(startingWith: "ready") != nil)
        let refused = try lab.root("write '\(path)' hello --owner self")
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("ERROR_ACCESS_DENIED") && refused.stderr.contains("uid \(HostileLab.attacker)"), "\(refused.stderr)")
        #expect(try lab.root("list").stdout.contains("\t\(HostileLab.attacker)\t"))
        #expect(try lab.root("write '\(path)' hello").code == 0)
        #expect(squatter.waitForExit(timeout: 10) == 0)
    }
}
