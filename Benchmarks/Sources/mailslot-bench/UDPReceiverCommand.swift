import ArgumentParser
import CBaselines
import Glibc

/// One receiving host of the broadcast fan-out scenario (spawned inside a network namespace):
/// receives on UDP `--port` of 0.0.0.0 until its standard input ends, then prints
/// `received first_ns last_ns drops out_of_order p50_us p99_us p999_us`.
struct UDPReceiverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udp-receiver", abstract: "Receive broadcast datagrams for one trial (internal).", shouldDisplay: false)

    @Option var transport: String
    @Option var prefix = "g0"
    @Option var mailslots = 1
    @Option var port: Int32 = 138
    @Option var payload = 424

    func run() throws {
        let tally = Tally(latencyCapacity: 4_000_000)
        let receiver: Receiver
        switch Transport(rawValue: transport) {
        case .mailslotUDP:
            receiver = try UDPMailslotReceiver(prefix: prefix, count: mailslots, tally: tally, bufferBytes: 64 << 20, port: UInt16(port))
        case .cRecvmmsg:
            receiver = try RecvmmsgReceiver(prefix: prefix, payload: payload, bufferBytes: 64 << 20, port: port, anyAddress: true)
        default:
            throw ValidationError("udp-receiver takes mailslot-udp or c-recvmmsg")
        }
        print("ready")
        fflush(nil)
        try receiver.receive(doneFD: 0, tally: tally)
        let counters = tally.pointer.pointee
        let latency = tally.latencyPercentiles()
        print(
            "\(counters.received) \(counters.first_ns) \(counters.last_ns) \(receiver.countedDrops) \(counters.out_of_order) "
                + "\(latency?.p50 ?? 0) \(latency?.p99 ?? 0) \(latency?.p999 ?? 0)")
    }
}
