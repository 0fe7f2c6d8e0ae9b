// libFuzzer target for the MS-MAIL decoder (built by scripts/fuzz-wire.sh with
// `swiftc -sanitize=fuzzer,address` together with Sources/MailslotWire, not by SwiftPM).
//
// Properties checked on every input:
// - decoding never traps (any input: a datagram or a typed error);
// - a decoded datagram's ranges lie inside the input;
// - re-encoding what was decoded and decoding that again gives the same names, mailslot name
//   and data (the encoder and decoder agree).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let datagram = try? MailslotDatagram.decode(input.bytes) else { return 0 }
    precondition(datagram.dataRange.upperBound <= size && datagram.mailslotNameRange.upperBound <= size)
    var encoder = MailslotWriteEncoder(
        type: datagram.type, source: datagram.source, destination: datagram.destination,
        mailslotName: datagram.mailslotName(in: input.bytes))
    encoder.priority = datagram.priority
    encoder.timeout = datagram.timeout
    let payload = Array(input[datagram.dataRange])
    guard let encoded = try? encoder.encode(payload) else {
        preconditionFailure("a decoded datagram must re-encode")
    }
    encoded.withUnsafeBytes { again in
        guard let second = try? MailslotDatagram.decode(again.bytes) else { preconditionFailure("re-encoded datagram must decode") }
        precondition(second.source == datagram.source && second.destination == datagram.destination)
        precondition(second.mailslotName(in: again.bytes) == datagram.mailslotName(in: input.bytes))
        precondition(Array(again[second.dataRange]) == payload)
    }
    return 0
}
