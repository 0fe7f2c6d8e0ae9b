import CLibEv
import Glibc

// The IPv4/UDP part of the syscall layer (same rules as Syscalls.swift).

/// `recvfrom(2)`, non-blocking: the length and the sender.
func system_recvfrom(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SyscallError) -> IOResult<(Int, IPv4Endpoint)> {
    var storage = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = try withUnsafeMutablePointer(to: &storage) { pointer throws(SyscallError) in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SyscallError) in
            try syscall("recvfrom") { Glibc.recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), address, &length) }
        }
    }
    switch result {
    case .wouldBlock: return .wouldBlock
    case .processed(let count): return .processed((count, IPv4Endpoint(storage)))
    }
}

/// `getsockname(2)` of an IPv4 socket.
func system_localEndpoint(_ fd: Int32) throws(SyscallError) -> IPv4Endpoint {
    var storage = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SyscallError) in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(SyscallError) in
            try syscallOrThrow("getsockname") { getsockname(fd, address, &length) }
        }
    }
    return IPv4Endpoint(storage)
}

/// Whether `fd` is an IPv4 UDP socket bound to a port (what a service manager hands over for a
/// datagram service).
func system_isBoundIPv4Datagram(_ fd: Int32) -> Bool {
    guard system_socketOption(fd, level: SOL_SOCKET, name: SO_TYPE) == Int32(SOCK_DGRAM.rawValue),
        system_socketOption(fd, level: SOL_SOCKET, name: SO_DOMAIN) == AF_INET
    else { return false }
    return ((try? system_localEndpoint(fd))?.port ?? 0) != 0
}

/// The value of environment variable `name`, if set.
func system_environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// The local address the kernel would send from to reach `destination` (a connected UDP probe).
func system_sourceAddress(toward destination: IPv4Endpoint) -> UInt32 {
    guard let fd = try? system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue)) else { return 0 }
    defer { system_close(fd) }
    // A broadcast destination needs SO_BROADCAST even to connect (else EACCES, and the
    // datagram would claim 0.0.0.0 as its source).
    _ = try? system_setsockopt(fd, level: SOL_SOCKET, name: SO_BROADCAST, value: 1)
    var probe = destination
    if probe.port == 0 { probe.port = 9 }
    guard (try? system_connect(fd, probe)) != nil, let local = try? system_localEndpoint(fd) else { return 0 }
    return local.address
}

/// IPv4 addresses of `host` from the system resolver (`/etc/hosts`, DNS), or `[]`.
func system_resolveIPv4(_ host: String) -> [UInt32] {
    var hints = addrinfo()
    hints.ai_family = AF_INET
    hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
    var result: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
    defer { freeaddrinfo(first) }
    var addresses: [UInt32] = []
    var node: UnsafeMutablePointer<addrinfo>? = first
    while let current = node {
        if let address = current.pointee.ai_addr, current.pointee.ai_family == AF_INET {
            let endpoint = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Endpoint($0.pointee) }
            if !addresses.contains(endpoint.address) { addresses.append(endpoint.address) }
        }
        node = current.pointee.ai_next
    }
    return addresses
}

/// Broadcast addresses of the host's IPv4 interfaces that are up (loopback excluded).
func system_interfaceBroadcasts() -> [UInt32] {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return [] }
    defer { freeifaddrs(first) }
    var addresses: [UInt32] = []
    var node: UnsafeMutablePointer<ifaddrs>? = first
    while let current = node {
        let entry = current.pointee
        let flags = Int32(bitPattern: entry.ifa_flags)
        if flags & Int32(IFF_UP) != 0, flags & Int32(IFF_BROADCAST) != 0,
            flags & Int32(IFF_LOOPBACK) == 0,
            let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
            let broadcast = entry.ifa_ifu.ifu_broadaddr
        {
            let endpoint = broadcast.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Endpoint($0.pointee) }
            if !addresses.contains(endpoint.address) { addresses.append(endpoint.address) }
        }
        node = current.pointee.ifa_next
    }
    return addresses
}

/// The host name (`gethostname(2)`).
func system_hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "LOCALHOST" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The inode of a socket (`fstat`), as `/proc/net/*` lists it.
func system_socketInode(_ fd: Int32) -> UInt64? {
    var status = stat()
    guard fstat(fd, &status) == 0 else { return nil }
    return UInt64(status.st_ino)
}

/// The kernel's drop count for the UDP socket with `inode`, from `/proc/net/udp` (its last
/// column), or `nil` when it is not listed.
func system_udpSocketDrops(inode: UInt64) -> UInt64? {
    guard let table = system_readFile("/proc/net/udp") else { return nil }
    let wanted = String(inode)
    for line in String(decoding: table, as: UTF8.self).split(separator: "\n").dropFirst() {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 13, fields[9] == wanted else { continue }
        return UInt64(fields[fields.count - 1])
    }
    return nil
}
