import Glibc
import Logging
@testable import MailslotEngine
import MailslotTestSupport
import Testing

/// What an embedder sees beyond the messages themselves: the origins a stream carries, and the
/// warnings the engine logs when the kernel fails it.
@Suite("Embedding: origins and logged failures", .timeLimit(.minutes(5)))
struct EmbeddingObservabilityTests {
    @Test("a stream carries remote messages in order, each with its origin: the sender's address and NetBIOS names", .tags(.crossesThreads))
    func streamCarriesOrigins() async throws {
        try await withinBound(seconds: 300) {
            let thread = try MailslotEngineThread()
            let port: UInt16 = try await thread.run { engine in
                Result { () throws(MailslotError) -> UInt16 in
                    try engine.startDatagramService(DatagramServiceTests.network("RECEIVER", port: 0))
                    return engine.datagramPort ?? 0
                }
            }.get()
            let path = uniqueMailslotPath("origins")
            let server = try await thread.createMailslot(named: "\\\\.\\mailslot\\" + path)
            let messages = try await server.messages()
            let hosts = temporaryFile("lmhosts", "127.0.0.1 RECEIVER\n")
            defer { unlink(hosts) }
            let client = try MailslotClient(
                named: "\\\\RECEIVER\\mailslot\\" + path, network: DatagramServiceTests.network("SENDER", port: port, hostsFile: hosts))
            for number in 0..<200 { try client.write("m\(number)") }
            var number = 0
            for await message in messages {
                #expect(String(decoding: message.bytes, as: UTF8.self) == "m\(number)")
                let origin = try #require(message.origin)
                #expect(origin.ip == 0x7F00_0001)
                #expect(origin.port != 0)
                #expect(origin.source.description == "SENDER<00>")
                #expect(origin.destination.description == "RECEIVER<00>")
                #expect(origin.type == .directUnique)
                number += 1
                if number == 200 { break }
            }
            #expect(number == 200)
            await thread.shutdown()
        }
    }

    @Test("a receive the kernel fails is logged through the configured Logger as a warning naming the error, and counted")
    func failedReceiveIsLogged() throws {
        let capture = RateLimitedLogTests.Capture()
        var configuration = EngineConfiguration()
        configuration.logger = Logger(label: "test") { _ in capture }
        let engine = try MailslotEngine(configuration: configuration)
        try engine.startDatagramService(DatagramServiceTests.network("RECEIVER", port: 0))
        let fd = try #require(engine.datagramService?.fd)
        // The kernel reports an ICMP error to the service's next receive when the socket asks
        // for them (IP_RECVERR): send from it to a port nobody listens on.
        try system_setsockopt(fd, level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
        let probe = try system_socket(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        try system_bind(probe, IPv4Endpoint(address: 0x7F00_0001, port: 0))
        let closed = try system_localEndpoint(probe)
        system_close(probe)
        _ = try [UInt8](repeating: 0, count: 8).withUnsafeBytes { try system_sendto(fd, $0, to: closed) }
        DatagramServiceTests.run(engine) { (engine.datagramStatistics?.receiveErrors ?? 0) > 0 }
        #expect((engine.datagramStatistics?.receiveErrors ?? 0) > 0)
        let warning = try #require(capture.messages.first { $0.2?["kind"] == "service-receive-failed" })
        #expect(warning.0 == .warning)
        #expect(warning.1.contains("recvmmsg") && warning.1.contains("\(ECONNREFUSED)"), "\(warning.1)")
    }
}
