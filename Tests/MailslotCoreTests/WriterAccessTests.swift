import MailslotCore
import Testing

@Suite("Writer access lists", .timeLimit(.minutes(5)))
struct WriterAccessTests {
    @Test("anyone may write by default; a list admits the creator, root, listed uids and primary gids only")
    func allows() {
        #expect(WriterAccess.anyone.allows(uid: 4242, gid: 4242, creator: 1000))
        let list = WriterAccess(uids: [2000], gids: [27])
        #expect(list.allows(uid: 1000, gid: 1000, creator: 1000))
        #expect(list.allows(uid: 0, gid: 0, creator: 1000))
        #expect(list.allows(uid: 2000, gid: 2000, creator: 1000))
        #expect(list.allows(uid: 3000, gid: 27, creator: 1000))
        #expect(!list.allows(uid: 3000, gid: 3000, creator: 1000))
        #expect(!WriterAccess(uids: [], gids: []).allows(uid: 3000, gid: 3000, creator: 1000))
    }

    @Test("the registry form round-trips, sorted and without duplicates")
    func roundTrip() {
        let list = WriterAccess(uids: [5, 3, 5], gids: [])
        #expect(list.description == "uids=3,5 gids=")
        #expect(WriterAccess(description: list.description) == list)
        #expect(WriterAccess(description: "any") == .anyone)
        #expect(WriterAccess(description: "uids= gids=27") == WriterAccess(gids: [27]))
    }

    @Test("anything else an entry file could hold is refused", arguments: [
        "", "ANY", "any ", "uids=1", "uids=1 gids=2 x", "uids=-1 gids=", "uids=1,,2 gids=", "uids=99999999999 gids=",
        "gids=1 uids=2", "uids=a gids=", "uids=1  gids=2", "uids=" + (0..<65).map(String.init).joined(separator: ",") + " gids=",
    ])
    func refusesJunk(text: String) {
        #expect(WriterAccess(description: text) == nil)
    }
}
