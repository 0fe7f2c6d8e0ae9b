import MailslotCore
import Testing

@Suite("Mailslot names", .timeLimit(.minutes(5)))
struct MailslotNameTests {
    @Test("parses the local server form with pseudo-directories")
    func localWithPath() throws {
        let name = try MailslotName("\\\\.\\mailslot\\abc\\def\\ghi")
        #expect(name.scope == .local)
        #expect(name.path == "abc\\def\\ghi")
        #expect(name.fullName == "\\\\.\\mailslot\\abc\\def\\ghi")
        #expect(name.wireName == "\\MAILSLOT\\abc\\def\\ghi")
    }

    @Test("parses computer, domain and star client forms")
    func clientForms() throws {
        #expect(try MailslotName("\\\\SERVER1\\mailslot\\x").scope == .remote("SERVER1"))
        #expect(try MailslotName("\\\\WORKGROUP\\MAILSLOT\\net\\netlogon").scope == .remote("WORKGROUP"))
        #expect(try MailslotName("\\\\*\\mailslot\\browse").scope == .primaryDomain)
        #expect(try MailslotName("\\\\host.example.org\\mailslot\\x").scope == .remote("host.example.org"))
    }

    @Test("short form means a local mailslot")
    func shortForm() throws {
        let name = try MailslotName(shortOrFull: "x")
        #expect(name.fullName == "\\\\.\\mailslot\\x")
        #expect(try MailslotName(shortOrFull: "\\\\*\\mailslot\\x").scope == .primaryDomain)
    }

    @Test("names compare case-insensitively, device word included")
    func caseInsensitive() throws {
        let a = try MailslotName("\\\\.\\MAILSLOT\\Abc\\DEF")
        let b = try MailslotName("\\\\.\\mailslot\\abc\\def")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a.canonicalPath == "abc\\def")
        #expect(try MailslotName("\\\\.\\mailslot\\ÄÖ").canonicalPath == "äö")
    }

    @Test("colons are legal in a path, as on the NT layer")
    func colonsAllowed() throws {
        #expect(try MailslotName("\\\\.\\mailslot\\R:\\FRED").path == "R:\\FRED")
    }

    @Test("an empty name fails with the NULL-name code")
    func empty() {
        #expect(throws: MailslotNameError.empty) { try MailslotName("") }
        #expect(MailslotNameError.empty.win32Code == 3)
    }

    @Test("a name outside the mailslot namespace fails with ERROR_INVALID_NAME", arguments: ["blah", "\\mailslot\\x", "\\\\.", "\\\\.\\mailslot"])
    func missingPrefix(text: String) {
        #expect(throws: MailslotNameError.missingPrefix) { try MailslotName(text) }
        #expect(MailslotNameError.missingPrefix.win32Code == 123)
    }

    @Test("a wrong device word is named in the error")
    func wrongDevice() {
        #expect(throws: MailslotNameError.wrongDevice("pipe")) { try MailslotName("\\\\.\\pipe\\x") }
    }

    @Test("illegal characters are refused with their offset", arguments: Array("\"*/<>?|\u{01}\u{7F}"))
    func illegalCharacters(character: Character) {
        #expect(throws: MailslotNameError.illegalCharacter(character, offset: 2)) {
            try MailslotName("\\\\.\\mailslot\\ab\(character)c")
        }
    }

    @Test("empty pseudo-directories are refused", arguments: ["\\\\.\\mailslot\\", "\\\\.\\mailslot\\a\\\\b", "\\\\.\\mailslot\\a\\", "\\\\.\\mailslot\\\\a"])
    func emptyComponents(text: String) {
        #expect(throws: MailslotNameError.emptyComponent) { try MailslotName(text) }
    }

    @Test("bad hosts are refused", arguments: ["\\\\\\mailslot\\x", "\\\\a b\\mailslot\\x", "\\\\a:b\\mailslot\\x"])
    func badHosts(text: String) {
        #expect(throws: (any Error).self) { try MailslotName(text) }
    }

    @Test("the length limit is 259 characters, ERROR_FILENAME_EXCED_RANGE above")
    func lengthLimit() throws {
        let prefix = "\\\\.\\mailslot\\"
        let longest = prefix + String(repeating: "a", count: MailslotName.maxLength - prefix.count)
        #expect(try MailslotName(longest).fullName.count == 259)
        #expect(throws: MailslotNameError.tooLong(length: 260, limit: 259)) { try MailslotName(longest + "a") }
        #expect(MailslotNameError.tooLong(length: 260, limit: 259).win32Code == 206)
    }
}
