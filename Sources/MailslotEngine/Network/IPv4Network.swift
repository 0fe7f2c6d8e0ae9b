/// An IPv4 network in CIDR form (`10.0.0.0/8`; a bare address is a /32): what the datagram
/// service's source allow-list is made of.
public struct IPv4Network: Hashable, Sendable, CustomStringConvertible {
    /// The network's address (host bits cleared), 10.0.0.0 → 0x0A000000.
    public let address: UInt32
    /// Leading bits that must match, 0…32.
    public let prefixLength: Int

    /// Parses `10.0.0.0/8` or `192.168.1.7`; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let host = IPv4Endpoint(String(parts[0]), port: 0) else { return nil }
        var length = 32
        if parts.count == 2 {
            guard parts[1].count <= 2, let value = Int(parts[1]), (0...32).contains(value) else { return nil }
            length = value
        }
        prefixLength = length
        address = host.address & Self.mask(length)
    }

    /// Whether `host` (10.0.0.1 → 0x0A000001) is in the network.
    public func contains(_ host: UInt32) -> Bool { host & Self.mask(prefixLength) == address }

    /// `10.0.0.0/8`.
    public var description: String { "\(IPv4Endpoint(address: address, port: 0).host)/\(prefixLength)" }

    private static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }
}
