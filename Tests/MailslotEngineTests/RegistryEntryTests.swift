@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// The registry entry parser reads files other users can write: it must refuse anything that
/// is not exactly an entry, and never trap.
@Suite("Registry entry files", .timeLimit(.minutes(5)))
struct RegistryEntryTests {
    static let endpoint = LocalEndpoint(try! MailslotName(localPath: "entry\\test"))

    static let sample = RegistryEntry(
        name: "\\\\.\\mailslot\\entry\\test", maxMessageSize: 424, creatorPID: 1234, endpoint: endpoint,
        sharedMemoryBytes: 1 << 20, socketInode: 987_654, writers: WriterAccess(uids: [1000], gids: [27]), fileOwner: 7)

    @Test("an entry round-trips through its file, with the file's owner from fstat, not its text")
    func roundTrip() {
        let parsed = RegistryEntry.parse(Self.sample.encoded, endpoint: Self.endpoint, fileOwner: 7)
        #expect(parsed == Self.sample)
        #expect(RegistryEntry.parse(Self.sample.encoded, endpoint: Self.endpoint, fileOwner: 8)?.fileOwner == 8)
    }

    @Test("truncated, extended, oversized and version-1 files are refused")
    func refusesNearMisses() {
        let bytes = Self.sample.encoded
        for cut in 0..<bytes.count { #expect(RegistryEntry.parse(Array(bytes[0..<cut]), endpoint: Self.endpoint, fileOwner: 0) == nil) }
        #expect(RegistryEntry.parse(bytes + Array("extra\n".utf8), endpoint: Self.endpoint, fileOwner: 0) == nil)
        #expect(RegistryEntry.parse(bytes + [UInt8](repeating: 0x20, count: 5000), endpoint: Self.endpoint, fileOwner: 0) == nil)
        #expect(RegistryEntry.parse(Array("mailslot-registry 1\n1\n0\nname\n0\n".utf8), endpoint: Self.endpoint, fileOwner: 0) == nil)
    }

    @Test("100,000 random and mutated files: never a trap, and whatever parses re-encodes to the same entry")
    func fuzz() {
        var random = SplitMix(seed: 0x5EC0_4E17)
        let valid = Self.sample.encoded
        for round in 0..<100_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[at] = [0x0A, 0x30, 0x39, 0x2C, 0x20, 0x2D, 0xFF, 0x00][Int.random(in: 0..<8, using: &random)]
                }
            }
            guard let entry = RegistryEntry.parse(bytes, endpoint: Self.endpoint, fileOwner: 1) else { continue }
            #expect(RegistryEntry.parse(entry.encoded, endpoint: Self.endpoint, fileOwner: 1) == entry)
        }
    }
}
