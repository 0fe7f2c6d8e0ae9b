import MailslotCore
import Testing

@Suite("Timeouts, info and errors", .timeLimit(.minutes(5)))
struct ModelTests {
    @Test("read timeouts round-trip through their Win32 encoding")
    func timeouts() {
        #expect(ReadTimeout(win32: 0) == .immediate)
        #expect(ReadTimeout(win32: 0xFFFF_FFFF) == .forever)
        #expect(ReadTimeout(win32: 1000) == .milliseconds(1000))
        #expect(ReadTimeout(parsing: "forever") == .forever)
        #expect(ReadTimeout(parsing: "250") == .milliseconds(250))
        #expect(ReadTimeout(parsing: "0") == .immediate)
        #expect(ReadTimeout(parsing: "-5") == nil)
        #expect(ReadTimeout(parsing: "soon") == nil)
        #expect(ReadTimeout.forever.win32Value == 0xFFFF_FFFF)
    }

    @Test("an empty mailslot reports MAILSLOT_NO_MESSAGE, a queued empty message 0")
    func nextSizeEncoding() {
        #expect(MailslotInfo(maxMessageSize: 0, nextMessageSize: nil, messageCount: 0, readTimeout: .immediate).win32NextSize == 0xFFFF_FFFF)
        #expect(MailslotInfo(maxMessageSize: 0, nextMessageSize: 0, messageCount: 1, readTimeout: .immediate).win32NextSize == 0)
    }

    @Test("every error names its Win32 code", arguments: [
        (MailslotError.alreadyExists("x"), UInt32(183)), (.fileNotFound("x"), 2), (.timeout, 121),
        (.insufficientBuffer(needed: 2, available: 1), 122), (.queueFull, 1816), (.serverGone, 109),
        (.invalidHandle, 6), (.badNetPath("x"), 53), (.messageTooLarge(size: 2, limit: 1), 87),
    ])
    func win32Codes(error: MailslotError, code: UInt32) {
        #expect(error.win32Code == code)
        #expect(error.description.contains("Win32 error \(code)"))
        #expect(error.description.contains("ERROR_"))
    }

    @Test("the effective size limit caps 0 and 0xFFFFFFFF at 65,535 bytes")
    func sizeLimit() {
        #expect(MessageSizeLimit.effective(0) == 65_535)
        #expect(MessageSizeLimit.effective(0xFFFF_FFFF) == 65_535)
        #expect(MessageSizeLimit.effective(424) == 424)
    }
}
