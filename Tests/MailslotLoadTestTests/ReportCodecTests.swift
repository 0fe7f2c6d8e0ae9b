import MailslotLoadTest
import MailslotTestSupport
import Testing

/// The load test's wire formats: stamps, control messages, and reports split into parts.
@Suite("Load test: stamps, control messages and reports", .timeLimit(.minutes(5)))
struct ReportCodecTests {
    @Test("a stamp and a control message read back as written; other bytes are not taken for them")
    func stampAndControlRoundTrip() {
        var buffer = [UInt8](repeating: 0xEE, count: 424)
        let stamp = LoadStamp(run: 0xDEAD_BEEF, step: 7, sender: 2, sequence: 1 << 40 | 5, sentNanoseconds: 1_700_000_000_123_456_789)
        buffer.withUnsafeMutableBytes { stamp.write(into: $0) }
        #expect(LoadStamp(buffer.span.bytes) == stamp)
        #expect(ControlMessage(buffer.span.bytes) == nil)
        let control = ControlMessage(run: 42, step: 3, kind: .endOfStep, sent: 123_456)
        #expect(control.bytes.count == ControlMessage.size)
        #expect(ControlMessage(control.bytes.span.bytes) == control)
        #expect(LoadStamp(control.bytes.span.bytes) == nil)
        let short = Array("MSLT short".utf8)
        #expect(LoadStamp(short.span.bytes) == nil)
    }

    @Test("a report too large for one datagram is split; its parts, shuffled and repeated, make it again, once")
    func splitReportReassembles() throws {
        var report = AgentReport(host: "HOST-WITH-A-LONG-NAME", run: 77, step: 5)
        report.received = 1_000_000
        report.unique = 999_000
        report.duplicates = 3
        report.outOfOrder = 9
        report.gapLost = 1000
        report.latencyP50 = 250
        report.latencyP99 = 4000
        report.latencyP999 = 9000
        report.latencyMax = 12_345
        report.cpuMilliseconds = 900
        report.residentKilobytes = 8000
        for index in 0..<40 { report.drops["service.cause-number-\(index)"] = UInt64(index * 1000 + 1) }
        let parts = report.encoded()
        #expect(parts.count > 1, "a report of 50 fields should need several parts")
        #expect(parts.allSatisfy { $0.count <= AgentReport.partLimit })
        var random = SplitMix(seed: 11)
        var shuffled = (parts + parts).map { $0 }
        for index in shuffled.indices.reversed() { shuffled.swapAt(index, Int(random.next() % UInt64(index + 1))) }
        var assembler = ReportAssembler()
        var made: [AgentReport] = []
        for bytes in shuffled {
            let part = try #require(AgentReport.part(bytes))
            if let report = assembler.take(part) { made.append(report) }
        }
        #expect(made == [report])
        #expect(assembler.reports(run: 77, step: 5)["HOST-WITH-A-LONG-NAME"] == report)
        #expect(assembler.reports(run: 77, step: 6).isEmpty)
    }

    @Test("report parts that are not well formed are refused, never trusted (random bytes and mutations)")
    func malformedPartsAreRefused() {
        #expect(AgentReport.part(Array("MSLR 1 2 3/2 H\nx=1".utf8)) == nil)  // part 3 of 2
        #expect(AgentReport.part(Array("MSLR 1 2 1/1 H\nreceived=-4".utf8)) == nil)
        #expect(AgentReport.part(Array("MSLR 1 2 1/99 H".utf8)) == nil)
        #expect(AgentReport.part(Array("HELLO".utf8)) == nil)
        var random = SplitMix(seed: 5)
        let valid = AgentReport(host: "H1", run: 1, step: 1).encoded()[0]
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<(1 + Int(random.next() % 4)) {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            if let part = AgentReport.part(bytes) {
                #expect((1...part.count).contains(part.index))
            }
            let noise = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = AgentReport.part(noise)
        }
    }

    @Test("sequence tally: duplicates, late arrivals and gaps are told apart, also across the window")
    func sequenceTally() {
        var tally = SequenceTally()
        for sequence: UInt64 in [0, 1, 2, 5, 3, 3, 9, 9, 4] { tally.record(sequence: sequence, latencyMicroseconds: 10) }
        #expect(tally.received == 9)
        #expect(tally.unique == 7)  // 0 1 2 3 4 5 9
        #expect(tally.duplicates == 2)  // the second 3 and the second 9
        #expect(tally.outOfOrder == 2)  // 3 after 5, 4 after 9
        #expect(tally.gapLost == 3)  // 6 7 8
        let far = UInt64(SequenceTally.window) * 3
        tally.record(sequence: far, latencyMicroseconds: nil)
        tally.record(sequence: 10, latencyMicroseconds: nil)  // older than the window: new, late
        #expect(tally.unique == 9)
        #expect(tally.latency.totalCount == 9)
    }

    @Test("iperf2's server report: the last lost/total pair is read, with or without a space after the slash")
    func iperfReportParses() {
        let output = """
            [  1] local 239.1.3.9 port 5001 connected with 10.139.0.1 port 48933
            [ ID] Interval       Transfer     Bandwidth        Jitter   Lost/Total Datagrams
            [  1] 0.0000-1.0000 sec   414 KBytes  3.39 Mbits/sec   0.002 ms 3/ 1000 (0.3%)
            [  1] 0.0000-2.0016 sec   829 KBytes  3.39 Mbits/sec   0.002 ms 12/2003 (0.6%)
            """
        let parsed = IperfBaseline.parse(output)
        #expect(parsed?.lost == 12)
        #expect(parsed?.total == 2003)
        #expect(IperfBaseline.parse("Server listening on UDP port 5001") == nil)
    }
}
