/// Who may write to a local mailslot: the part of a Win32 security descriptor that matters for
/// a mailslot, whose only right is writing.
///
/// Writers are matched on the credentials the kernel attaches to each message: the effective
/// uid and the effective (primary) gid of the sending process. Supplementary groups are not
/// carried by the kernel with a message, so a gid here admits a writer whose *primary* group it
/// is (start the writer with `sg GROUP …` or `setpriv --regid`). The mailslot's creator and
/// root may always write.
public struct WriterAccess: Hashable, Sendable, CustomStringConvertible {
    /// `true` when every local user may write (the default, as on Windows).
    public var allowsAnyone: Bool
    /// Users who may write (besides the creator and root).
    public var uids: [UInt32]
    /// Primary groups whose members may write.
    public var gids: [UInt32]

    /// Every local user may write.
    public static let anyone = WriterAccess(allowsAnyone: true, uids: [], gids: [])

    /// Only the creator, root, and the users and primary groups listed.
    public init(uids: [UInt32] = [], gids: [UInt32] = []) {
        self.init(allowsAnyone: false, uids: uids, gids: gids)
    }

    private init(allowsAnyone: Bool, uids: [UInt32], gids: [UInt32]) {
        self.allowsAnyone = allowsAnyone
        self.uids = Array(Set(uids)).sorted()
        self.gids = Array(Set(gids)).sorted()
    }

    /// Whether a process with effective `uid` and `gid` may write to a mailslot created by
    /// `creator`.
    public func allows(uid: UInt32, gid: UInt32, creator: UInt32) -> Bool {
        allowsAnyone || uid == 0 || uid == creator || uids.contains(uid) || gids.contains(gid)
    }

    /// `any`, or `uids=0,1000 gids=27`: the form the registry stores and `list` prints.
    public var description: String {
        guard !allowsAnyone else { return "any" }
        return "uids=" + uids.map(String.init).joined(separator: ",") + " gids=" + gids.map(String.init).joined(separator: ",")
    }

    /// Parses ``description``; `nil` for anything else.
    public init?(description text: String) {
        if text == "any" {
            self = .anyone
            return
        }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("uids="), parts[1].hasPrefix("gids="),
            let uids = Self.numbers(parts[0].dropFirst(5)), let gids = Self.numbers(parts[1].dropFirst(5))
        else { return nil }
        self.init(uids: uids, gids: gids)
    }

    private static func numbers(_ list: Substring) -> [UInt32]? {
        guard !list.isEmpty else { return [] }
        var result: [UInt32] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            guard item.count <= 10, let value = UInt32(item) else { return nil }
            result.append(value)
        }
        return result.count <= 64 ? result : nil
    }
}
