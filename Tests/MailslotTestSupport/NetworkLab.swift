import Glibc
import MailslotSupport
import Synchronization

/// Hosts on one Ethernet segment, made of network namespaces for one test: a bridge in its own
/// namespace and one namespace per host with `eth0` = 10.138.0.(i+1)/24 (broadcast
/// 10.138.0.255). Nothing is added to the machine's own namespace; everything is deleted when
/// the lab goes away.
public final class NetworkLab {
    public let hosts: [String]
    private let bridge: String
    public static let broadcast = "10.138.0.255"

    /// Why labs cannot be made here (`nil` when they can): they need root and iproute2.
    public static let unavailableReason: String? = {
        guard getuid() == 0 else { return "network namespaces need root" }
        guard access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 else { return "iproute2 (ip) is not installed" }
        let probe = "mslprobe\(getpid())"
        guard (try? NetworkLab.ip(["netns", "add", probe])) == 0 else { return "cannot create a network namespace here" }
        _ = try? NetworkLab.ip(["netns", "del", probe])
        return nil
    }()

    /// Labs made by this process so far: part of every name, so two labs never share one,
    /// whatever labels tests choose (two suites once both said "q" and collided when they ran
    /// at the same time).
    private static let made = Mutex(0)

    public init(hosts count: Int, label: String) throws {
        let serial = Self.made.withLock { made in
            made += 1
            return made
        }
        let prefix = "m\(getpid() % 100_000)\(label)\(serial)"
        bridge = prefix + "br"
        hosts = (1...count).map { prefix + "h\($0)" }
        try Self.check(["netns", "add", bridge])
        try Self.check(["-n", bridge, "link", "add", "br0", "type", "bridge"])
        try Self.check(["-n", bridge, "link", "set", "br0", "up"])
        for (index, host) in hosts.enumerated() {
            try Self.check(["netns", "add", host])
            try Self.check(["-n", bridge, "link", "add", "veth\(index)", "type", "veth", "peer", "name", "eth0", "netns", host])
            try Self.check(["-n", bridge, "link", "set", "veth\(index)", "master", "br0"])
            try Self.check(["-n", bridge, "link", "set", "veth\(index)", "up"])
            try Self.check(["-n", host, "link", "set", "lo", "up"])
            try Self.check(["-n", host, "addr", "add", address(index) + "/24", "broadcast", Self.broadcast, "dev", "eth0"])
            try Self.check(["-n", host, "link", "set", "eth0", "up"])
        }
    }

    deinit {
        for name in hosts + [bridge] {
            // The mailslot registry folder of the namespace goes with it (named by its inode).
            var status = stat()
            let inode = stat("/run/netns/\(name)", &status) == 0 ? status.st_ino : nil
            _ = try? Self.ip(["netns", "del", name])
            if let inode {
                _ = try? ChildProcess("/bin/rm", ["-rf", "/dev/shm/mailslot.\(inode)", "/tmp/mailslot.\(inode)"]).waitForExit()
            }
        }
    }

    /// Host `index`'s address (0-based): 10.138.0.(index+1).
    public func address(_ index: Int) -> String { "10.138.0.\(index + 1)" }

    /// Starts `executable` inside host `index`, with `/dev/null` as its standard input (daemons
    /// such as nmbd act differently when it is a socket).
    public func spawn(_ index: Int, _ executable: String, _ arguments: [String]) throws -> ChildProcess {
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        return try ChildProcess(Self.ipPath, ["netns", "exec", hosts[index], executable] + arguments, stdin: null)
    }

    /// Runs `executable` inside host `index` to completion.
    public func run(_ index: Int, _ executable: String, _ arguments: [String], timeout: Double = 30) throws -> (code: Int32?, stdout: String, stderr: String) {
        let child = try spawn(index, executable, arguments)
        let code = child.waitForExit(timeout: timeout)
        return (code, child.standardOutput, child.standardError)
    }

    static let ipPath = access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip" : "/sbin/ip"

    @discardableResult
    static func ip(_ arguments: [String]) throws -> Int32? {
        let child = try ChildProcess(ipPath, arguments)
        return child.waitForExit(timeout: 10)
    }

    static func check(_ arguments: [String]) throws {
        let child = try ChildProcess(ipPath, arguments)
        guard child.waitForExit(timeout: 10) == 0 else {
            throw LabError(command: "ip " + arguments.joined(separator: " "), output: child.standardError)
        }
    }
}

/// A lab command failed.
public struct LabError: Error, CustomStringConvertible {
    public let command: String
    public let output: String
    public var description: String { "\(command): \(output)" }
}

/// Writes `text` to a new temporary file and returns its path.
public func temporaryFile(_ label: String, _ text: String) -> String {
    let path = "/tmp/mailslot-test-\(getpid())-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    if let file = fopen(path, "w") {
        fputs(text, file)
        fclose(file)
    }
    return path
}

/// A file's text, or `nil` when it cannot be read.
public func readTextFile(_ path: String) -> String? {
    readFileBytes(path).map { String(decoding: $0, as: UTF8.self) }
}

/// A file's bytes as they are (no text decoding), or `nil` when it cannot be read.
public func readFileBytes(_ path: String) -> [UInt8]? { FileBytes.read(path) }

/// A UDP port nobody holds right now (bound to port 0, then closed).
public func freeUDPPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: 0), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw SpawnError(errno: errno) }
    return UInt16(bigEndian: address.sin_port)
}
