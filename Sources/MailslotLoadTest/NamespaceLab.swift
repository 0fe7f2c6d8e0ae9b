import Glibc

/// A lab of hosts made of network namespaces: a switch namespace holding a bridge, a
/// coordinator namespace, and one namespace per host, each joined to the bridge by a veth pair,
/// on 10.139.0.0/16 (coordinator 10.139.0.1; broadcast 10.139.255.255). Nothing is added to the
/// machine's own namespace.
///
/// Every name starts with `mslt<pid>`, the pid of the process that built it, so a lab whose
/// builder died (a crash, `kill -9`) is found and removed by the next one (``removeStale()``).
public final class NamespaceLab {
    /// The host namespaces' names, in order.
    public let hosts: [String]
    /// The coordinator's namespace.
    public let coordinator: String
    /// The switch's namespace.
    public let switchNamespace: String
    /// The subnet's broadcast address.
    public static let broadcast = "10.139.255.255"
    /// The coordinator's address.
    public static let coordinatorAddress = "10.139.0.1"
    /// `ip`.
    public static let ip = access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip" : "/sbin/ip"
    private var removed = false

    /// The largest lab the address plan holds.
    public static let maximumHosts = 250 * 250

    /// Why a lab cannot be built here (`nil` when it can): it needs root and iproute2.
    public static var unavailableReason: String? {
        guard geteuid() == 0 else { return "the lab needs root (network namespaces): run it as root or with sudo" }
        guard access(ip, X_OK) == 0 else { return "the lab needs iproute2 (ip): apt-get install iproute2" }
        return nil
    }

    /// Host `index`'s address (0-based).
    public static func address(ofHost index: Int) -> String { "10.139.\(1 + index / 250).\(1 + index % 250)" }

    /// Builds a lab of `count` hosts.
    /// - Throws: ``LabError`` when a namespace or link cannot be made (what was made is removed).
    public init(hosts count: Int) throws(LabError) {
        guard (1...Self.maximumHosts).contains(count) else { throw LabError("--hosts must be 1 to \(Self.maximumHosts)") }
        let prefix = "mslt\(getpid())"
        switchNamespace = prefix + "s"
        coordinator = prefix + "c"
        hosts = (0..<count).map { prefix + "h\($0)" }
        do {
            try build()
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    private func build() throws(LabError) {
        let members = [coordinator] + hosts
        // One `ip` per batch: creating 256 namespaces one command at a time takes seconds.
        try Self.batch(nil, (members + [switchNamespace]).map { "netns add \($0)" })
        var switchCommands = ["link add br0 type bridge", "link set br0 up"]
        for (index, member) in members.enumerated() {
            switchCommands += [
                "link add v\(index) type veth peer name eth0 netns \(member)", "link set v\(index) master br0",
                "link set v\(index) up",
            ]
        }
        try Self.batch(switchNamespace, switchCommands)
        for (index, member) in members.enumerated() {
            let address = index == 0 ? Self.coordinatorAddress : Self.address(ofHost: index - 1)
            try Self.batch(member, [
                "link set lo up", "addr add \(address)/16 broadcast \(Self.broadcast) dev eth0", "link set eth0 up",
                // Multicast stays on the lab's wire (the iperf2 baseline sends to a group).
                "route add 224.0.0.0/4 dev eth0",
            ])
        }
    }

    /// Kills whatever still runs in the lab's namespaces and deletes them. Idempotent.
    public func remove() {
        guard !removed else { return }
        removed = true
        Self.delete([coordinator] + hosts + [switchNamespace])
    }

    /// Removes labs whose builder is gone (found by their `mslt<pid>` names). - Returns: how
    /// many namespaces were removed.
    @discardableResult
    public static func removeStale() -> Int {
        guard let listing = try? Subprocess.output(ip, ["netns", "list"]) else { return 0 }
        var stale: [String] = []
        for line in listing.text.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("mslt") else { continue }
            let digits = name.dropFirst(4).prefix { $0.isNumber }
            guard let pid = Int32(digits), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { stale.append(name) }
        }
        delete(stale)
        return stale.count
    }

    private static func delete(_ namespaces: [String]) {
        for name in namespaces {
            // Processes left in it (agents of a crashed lab) would keep it alive.
            if let pids = try? Subprocess.output(ip, ["netns", "pids", name]) {
                for pid in pids.text.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
        }
        let folders = registryFolders(of: namespaces)
        try? batch(nil, namespaces.map { "netns del \($0)" }, allowFailure: true)
        if !folders.isEmpty { _ = try? Subprocess.output("/bin/rm", ["-rf", "--"] + folders) }
    }

    /// The mailslot registry folders the processes in `namespaces` made: one per network
    /// namespace (`/dev/shm/mailslot.<inode>`), gone with it rather than left behind.
    static func registryFolders(of namespaces: [String]) -> [String] {
        namespaces.flatMap { name -> [String] in
            var status = stat()
            guard stat("/run/netns/\(name)", &status) == 0 else { return [] }
            return ["/dev/shm/mailslot.\(status.st_ino)", "/tmp/mailslot.\(status.st_ino)"]
        }
    }

    /// Runs `commands` through one `ip -batch` (in `namespace` when given).
    static func batch(_ namespace: String?, _ commands: [String], allowFailure: Bool = false) throws(LabError) {
        guard !commands.isEmpty else { return }
        let path = "/tmp/mslt-batch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard let file = fopen(path, "w") else { throw LabError("cannot write \(path)") }
        for command in commands { fputs(command + "\n", file) }
        fclose(file)
        defer { unlink(path) }
        let arguments = (namespace.map { ["-n", $0] } ?? []) + (allowFailure ? ["-force"] : []) + ["-batch", path]
        let result = try Subprocess.output(ip, arguments)
        if result.status != 0 && !allowFailure {
            throw LabError("ip \(arguments.joined(separator: " ")) failed: \(result.text.split(separator: "\n").first ?? "")")
        }
    }

    /// Starts `executable` inside `namespace`, its output to `outputPath`.
    public func spawn(in namespace: String, _ executable: String, _ arguments: [String], outputPath: String? = nil) throws(LabError)
        -> Subprocess
    {
        try Subprocess(Self.ip, ["netns", "exec", namespace, executable] + arguments, outputPath: outputPath)
    }
}
