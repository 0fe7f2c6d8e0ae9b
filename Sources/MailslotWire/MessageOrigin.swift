/// Where a message from another computer came from: what its datagram said about the sender.
/// Local messages have no origin.
///
/// It holds the raw values (no strings), so recording it for every datagram costs no
/// allocation; the text forms are made when asked for.
public struct MessageOrigin: Hashable, Sendable {
    /// The UDP source address (10.0.0.1 → 0x0A000001).
    public var ip: UInt32
    /// The UDP source port.
    public var port: UInt16
    /// The NetBIOS source name: the computer that sent it.
    public var source: NetBIOSName
    /// The NetBIOS destination name: this computer, or the domain or group it was sent to.
    public var destination: NetBIOSName
    /// How it was addressed: to this computer alone (unique), a group, or a broadcast.
    public var type: DatagramType

    /// An origin from a datagram's values.
    public init(ip: UInt32, port: UInt16, source: NetBIOSName, destination: NetBIOSName, type: DatagramType) {
        self.ip = ip
        self.port = port
        self.source = source
        self.destination = destination
        self.type = type
    }

    /// `10.0.0.1:138`.
    public var address: String { "\(ip >> 24).\(ip >> 16 & 0xFF).\(ip >> 8 & 0xFF).\(ip & 0xFF):\(port)" }
    /// `HOST<00>`.
    public var sourceName: String { source.description }
    /// `DOMAIN<1d>`.
    public var destinationName: String { destination.description }
    /// `unique`, `group` or `broadcast`.
    public var kind: String {
        switch type {
        case .directUnique: "unique"
        case .directGroup: "group"
        case .broadcast: "broadcast"
        }
    }
}
