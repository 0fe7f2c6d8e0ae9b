/// Where a message from another computer came from: what the datagram said about its sender.
/// Local messages have no origin.
public struct MessageOrigin: Hashable, Sendable {
    /// The sender's UDP address, `10.0.0.1:138`.
    public var address: String
    /// The NetBIOS source name, `HOST<00>`.
    public var sourceName: String
    /// The NetBIOS destination name, `DOMAIN<00>`.
    public var destinationName: String
    /// `unique`, `group` or `broadcast`.
    public var kind: String

    public init(address: String, sourceName: String, destinationName: String, kind: String) {
        self.address = address
        self.sourceName = sourceName
        self.destinationName = destinationName
        self.kind = kind
    }
}
