import MailslotWire
import Testing

@Suite("Wire codec against real peers' datagrams")
struct MailslotDatagramTests {
    @Test("every vector decodes to the fields tshark decoded", arguments: VectorFile.expectations.map(\.file))
    func decodesVector(_ file: String) throws {
        let expected = try #require(VectorFile.expectations.first { $0.file == file })
        let bytes = VectorFile.bytes(file)
        #expect(bytes.count == expected.bytes)
        try bytes.withUnsafeBytes { raw in
            let datagram = try MailslotDatagram.decode(raw)
            #expect(datagram.type.rawValue == expected.type)
            #expect(datagram.flags == expected.flags)
            #expect(bytes.count - 14 == expected.dgmLength)
            #expect(datagram.source.description.lowercased() == expected.source.lowercased())
            #expect(datagram.destination.description.lowercased() == expected.destination.lowercased())
            #expect(datagram.dataRange.count == expected.dataCount)
            #expect(datagram.dataRange.lowerBound - 82 == expected.dataOffset)
            #expect(datagram.mailslotName(in: raw) == expected.mailslot)
        }
    }

    @Test("re-encoding what was decoded gives the peer's exact bytes", arguments: VectorFile.expectations.map(\.file))
    func reencodesVector(_ file: String) throws {
        let bytes = VectorFile.bytes(file)
        let encoded: [UInt8] = try bytes.withUnsafeBytes { raw in
            let datagram = try MailslotDatagram.decode(raw)
            var encoder = MailslotWriteEncoder(
                type: datagram.type, source: datagram.source, destination: datagram.destination,
                mailslotName: datagram.mailslotName(in: raw))
            encoder.nodeType = try #require(NodeType(rawValue: datagram.flags & 0x0C))
            encoder.id = datagram.id
            encoder.sourceIP = datagram.sourceIP
            encoder.sourcePort = datagram.sourcePort
            encoder.priority = datagram.priority
            encoder.mailslotClass = datagram.mailslotClass
            encoder.timeout = datagram.timeout
            return try encoder.encode(Array(raw[datagram.dataRange]))
        }
        #expect(encoded == bytes)
    }

    @Test("the encoder builds scapy's and Samba NDR's bytes for \\MAILSLOT\\TEST hello")
    func encodesGolden() throws {
        var encoder = MailslotWriteEncoder(
            type: .directUnique, source: try NetBIOSName("senderhost", suffix: 0),
            destination: try NetBIOSName("TARGETHOST", suffix: 0), mailslotName: "\\MAILSLOT\\TEST")
        encoder.id = 0x1234
        encoder.sourceIP = 0x0A4D_0001
        #expect(try encoder.encode(Array("hello".utf8)) == VectorFile.bytes("scapy-unique-TEST-hello.hex"))
        #expect(try encoder.encode(Array("hello".utf8)) == VectorFile.bytes("samba-ndr-unique-TEST-hello.hex"))
    }

    @Test("names encode first-level, with the * name padded with zeros")
    func nameEncoding() throws {
        let name = try NetBIOSName("NMBDPEER", suffix: 0)
        var buffer = [UInt8](repeating: 0, count: 34)
        _ = buffer.withUnsafeMutableBytes { name.encode(into: $0, at: 0) }
        #expect(String(decoding: buffer[1..<33], as: UTF8.self) == "EOENECEEFAEFEFFCCACACACACACACAAA")
        let star = try NetBIOSName("*", suffix: 0)
        #expect(star[1] == 0 && star[14] == 0)
        #expect(try NetBIOSName("msltest", suffix: 0x1D).description == "MSLTEST<1d>")
        #expect(throws: WireError.badComputerName("a.b")) { try NetBIOSName("a.b", suffix: 0) }
        #expect(throws: WireError.badComputerName("SIXTEENCHARSLONG")) { try NetBIOSName("SIXTEENCHARSLONG", suffix: 0) }
    }

    @Test("sizes: 424 data bytes to a group, 443 name + data bytes in all")
    func sizeLimits() throws {
        let source = try NetBIOSName("A", suffix: 0)
        let group = MailslotWriteEncoder(
            type: .directGroup, source: source, destination: try NetBIOSName("DOM", suffix: 0), mailslotName: "\\MAILSLOT\\X")
        #expect(try group.encode([UInt8](repeating: 1, count: 424)).count == 152 + 11 + 424)
        #expect(throws: WireError.tooLarge(size: 425, limit: 424)) { try group.encode([UInt8](repeating: 1, count: 425)) }
        let unique = MailslotWriteEncoder(
            type: .directUnique, source: source, destination: try NetBIOSName("B", suffix: 0), mailslotName: "\\MAILSLOT\\X")
        #expect(try unique.encode([UInt8](repeating: 1, count: 443 - 12)).count > 0)
        #expect(throws: WireError.tooLarge(size: 444, limit: 443)) { try unique.encode([UInt8](repeating: 1, count: 443 - 11)) }
        let badName = MailslotWriteEncoder(type: .directUnique, source: source, destination: source, mailslotName: "\\PIPE\\X")
        #expect(throws: WireError.badMailslotName) { try badName.encode([1]) }
    }
}
