import MailslotWire
import Testing

@Suite("Wire codec against real peers' datagrams", .timeLimit(.minutes(5)))
struct MailslotDatagramTests {
    @Test("every vector decodes to the fields tshark decoded", arguments: VectorFile.expectations.map(\.file))
    func decodesVector(_ file: String) throws {
        let expected = try #require(VectorFile.expectations.first { $0.file == file })
        let bytes = VectorFile.bytes(file)
        #expect(bytes.count == expected.bytes)
        try bytes.withUnsafeBytes { raw in
            let datagram = try MailslotDatagram.decode(raw.bytes)
            #expect(datagram.type.rawValue == expected.type)
            #expect(datagram.flags == expected.flags)
            #expect(bytes.count - 14 == expected.dgmLength)
            #expect(datagram.source.description.lowercased() == expected.source.lowercased())
            #expect(datagram.destination.description.lowercased() == expected.destination.lowercased())
            #expect(datagram.dataRange.count == expected.dataCount)
            #expect(datagram.dataRange.lowerBound - 82 == expected.dataOffset)
            #expect(datagram.mailslotName(in: raw.bytes) == expected.mailslot)
        }
    }

    @Test("re-encoding what was decoded gives the peer's exact bytes", arguments: VectorFile.expectations.map(\.file))
    func reencodesVector(_ file: String) throws {
        let bytes = VectorFile.bytes(file)
        let encoded: [UInt8] = try bytes.withUnsafeBytes { raw in
            let datagram = try MailslotDatagram.decode(raw.bytes)
            var encoder = MailslotWriteEncoder(
                type: datagram.type, source: datagram.source, destination: datagram.destination,
                mailslotName: datagram.mailslotName(in: raw.bytes))
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

    @Test("names print as tshark does and parse back, non-printable bytes included")
    func nameDescriptions() throws {
        for text in ["TESTDOMAIN<1d>", "<01><02>__MSBROWSE__<02><01>", "*<00>", "PYHOST<00>.scope.example"] {
            let name = try #require(NetBIOSName(description: text))
            #expect(name.description == text)
        }
        #expect(NetBIOSName(description: "") == nil)
        #expect(NetBIOSName(description: "SIXTEENCHARSLONG<00>") == nil)
        #expect(NetBIOSName(description: "NAME<00>") == (try NetBIOSName("name", suffix: 0)))
    }

    @Test("a scope label is printable ASCII without dots, or the name is refused (a fuzzer find: other bytes did not survive re-encoding)")
    func scopeLabels() throws {
        let name = try NetBIOSName("PYDC", suffix: 0)
        var encoded = [UInt8](repeating: 0, count: name.encodedLength)
        _ = encoded.withUnsafeMutableBytes { name.encode(into: $0, at: 0) }
        let base = Array(encoded.dropLast())  // the 33 encoded bytes, without the scope's terminator
        for (label, accepted) in [([UInt8]("scope".utf8), true), ([0x11, 0x8A, 0x02], false), ([UInt8]("a.b".utf8), false), ([0x20], false)] {
            let bytes = base + [UInt8(label.count)] + label + [0]
            let decoded = bytes.withUnsafeBytes { buffer in
                Result { () throws(WireError) in try NetBIOSName.decode(buffer.bytes, at: 0, end: buffer.count, field: "source") }
            }
            switch decoded {
            case .success((let parsed, _)):
                #expect(accepted, "\(label) was taken")
                #expect(parsed.scope == String(decoding: label, as: UTF8.self))
            case .failure(let error):
                #expect(!accepted, "\(label) was refused: \(error)")
            }
        }
    }

    @Test("a NetBIOS name query is the 50 bytes RFC 1002 gives, and only a matching positive answer is taken")
    func nameQuery() throws {
        let name = try NetBIOSName("PDC", suffix: 0)
        let query = NameQuery.request(id: 0x1234, name: name)
        #expect(query.count == 50)
        #expect(Array(query[0..<12]) == [0x12, 0x34, 0x01, 0x10, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(Array(query[46..<50]) == [0, 0x20, 0, 1])
        var answer: [UInt8] = [0x12, 0x34, 0x85, 0x00, 0, 0, 0, 1, 0, 0, 0, 0] + Array(query[12..<46])
        answer += [0, 0x20, 0, 1, 0, 0, 0, 60, 0, 6, 0, 0, 10, 138, 0, 3]
        #expect(NameQuery.addresses(inResponse: answer.span.bytes, id: 0x1234, name: name) == [0x0A8A_0003])
        #expect(NameQuery.addresses(inResponse: answer.span.bytes, id: 0x9999, name: name) == nil)
        var negative = answer
        negative[3] = 0x03  // RCODE 3: no such name
        #expect(NameQuery.addresses(inResponse: negative.span.bytes, id: 0x1234, name: name) == nil)
        let cut = Array(answer.prefix(20))
        #expect(NameQuery.addresses(inResponse: cut.span.bytes, id: 0x1234, name: name) == nil)
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
