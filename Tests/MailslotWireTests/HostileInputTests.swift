import MailslotWire
import Testing

@Suite("Wire codec on hostile input: typed errors, never a trap", .timeLimit(.minutes(5)))
struct HostileInputTests {
    static let sample = VectorFile.bytes("scapy-unique-TEST-hello.hex")

    func decode(_ bytes: [UInt8]) -> Result<MailslotDatagram, WireError> {
        bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try MailslotDatagram.decode(raw.bytes) } }
    }

    @Test("every truncation of every vector is refused with an error")
    func truncations() {
        for expectation in VectorFile.expectations {
            let bytes = VectorFile.bytes(expectation.file)
            for length in 0..<bytes.count {
                guard case .failure = decode(Array(bytes[..<length])) else {
                    Issue.record("\(expectation.file) truncated to \(length) bytes decoded")
                    return
                }
            }
        }
    }

    @Test("every single-byte corruption decodes or fails cleanly, and a decoded one stays in bounds")
    func corruptions() {
        for index in Self.sample.indices {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, Self.sample[index] ^ 0x20] {
                var bytes = Self.sample
                bytes[index] = value
                if case .success(let datagram) = decode(bytes) {
                    #expect(datagram.dataRange.upperBound <= bytes.count)
                    #expect(datagram.mailslotNameRange.upperBound <= bytes.count)
                }
            }
        }
    }

    @Test("named violations give their own errors")
    func namedViolations() {
        var bytes = Self.sample
        bytes[0] = 0x13
        #expect(decode(bytes) == .failure(.unsupportedMessageType(0x13)))
        bytes = Self.sample
        bytes[1] |= 0x01
        #expect(decode(bytes) == .failure(.fragmented))
        bytes = Self.sample
        bytes[11] &+= 1  // DGM_LENGTH one past the end
        #expect(decode(bytes) == .failure(.lengthMismatch(declared: 158, available: 157)))
        bytes = Self.sample
        bytes[82] = 0xFE
        #expect(decode(bytes) == .failure(.notSMB))
        bytes = Self.sample
        bytes[86] = 0x32
        #expect(decode(bytes) == .failure(.notTransaction(command: 0x32)))
        bytes = Self.sample
        bytes[82 + 57] = 200  // DataOffset past the end
        #expect(decode(bytes) == .failure(.outOfBounds("DataOffset 200 / DataCount 5")))
        bytes = Self.sample
        bytes[82 + 61] = 2
        #expect(decode(bytes) == .failure(.notMailslotWrite("opcode 2")))
        bytes = Self.sample
        bytes[82 + 69 + 1] = UInt8(ascii: "P")  // \PAILSLOT
        #expect(decode(bytes) == .failure(.badMailslotName))
    }

    @Test("a datagram over the MS-MAIL size limits is refused")
    func oversize() throws {
        // Build a 600-byte unique write by hand (the encoder refuses to).
        var bytes = Self.sample
        bytes += [UInt8](repeating: 0x41, count: 440)
        let dataCount = 445
        bytes[82 + 35] = UInt8(dataCount & 0xFF)
        bytes[82 + 36] = UInt8(dataCount >> 8)
        bytes[82 + 55] = UInt8(dataCount & 0xFF)
        bytes[82 + 56] = UInt8(dataCount >> 8)
        let byteCount = 15 + dataCount
        bytes[82 + 67] = UInt8(byteCount & 0xFF)
        bytes[82 + 68] = UInt8(byteCount >> 8)
        let dgmLength = bytes.count - 14
        bytes[10] = UInt8(dgmLength >> 8)
        bytes[11] = UInt8(dgmLength & 0xFF)
        #expect(decode(bytes) == .failure(.tooLarge(size: 460, limit: 443)))
    }
}
