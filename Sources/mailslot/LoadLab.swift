import ArgumentParser
import Foundation
import Glibc
import MailslotLoadTest

/// Set by SIGINT/SIGTERM while a lab runs: the lab then tears down and exits.
nonisolated(unsafe) private var labInterrupted: sig_atomic_t = 0

/// `mailslot loadtest lab`: a lab of namespace hosts, an agent in each, and a run.
struct LoadLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build N hosts as network namespaces on a bridge, start an agent in each, run the coordinator in a namespace of its own, then tear everything down.",
        discussion: "Needs root. Tears down on exit, on Ctrl-C and SIGTERM; a lab left by a crash is removed by the next one. Takes every option of 'loadtest run'."
    )

    @Option(help: "How many receiving hosts.")
    var hosts: Int

    @OptionGroup var load: LoadRunOptionGroup

    @Option(help: "The lab's domain name.")
    var domain: String = "LAB"

    @Flag(help: "Keep each agent's output in the working folder (loadtest-lab-agent-N.log) instead of discarding it.")
    var keepLogs = false

    @Option(help: "After the run, send iperf2 UDP datagrams of the same size at these rates (e.g. 1000,4000,16000) to an iperf2 server on every host (a multicast group: iperf2 cannot send broadcasts), and show its per-host loss beside the load test's.")
    var iperf: String?

    @Option(help: "Each agent's socket receive buffer, in bytes (default: the engine's 4 MiB): small buffers make hosts that lose under bursts.")
    var receiveBuffer: Int?

    func run() throws {
        if let reason = NamespaceLab.unavailableReason {
            printError("loadtest lab: \(reason)")
            throw ExitCode(1)
        }
        let removed = NamespaceLab.removeStale()
        if removed > 0 { printError("lab: removed \(removed) namespaces a crashed lab left") }
        signal(SIGINT) { _ in labInterrupted = 1 }
        signal(SIGTERM) { _ in labInterrupted = 1 }
        let started = monotonic()
        let lab = try NamespaceLab(hosts: hosts)
        defer { lab.remove() }
        let self_ = Self.executable
        let common = ["--domain", domain, "--udp-port", "138", "--broadcast", NamespaceLab.broadcast]
        var agents: [Subprocess] = []
        defer { Subprocess.stopAll(agents) }
        for (index, host) in lab.hosts.enumerated() {
            let log = keepLogs ? "loadtest-lab-agent-\(index + 1).log" : "/dev/null"
            let buffer = receiveBuffer.map { ["--receive-buffer", "\($0)"] } ?? []
            agents.append(try lab.spawn(in: host, self_, ["loadtest", "agent", "--computer-name", "H\(index + 1)"] + common + buffer, outputPath: log))
        }
        printError("lab: \(hosts) hosts and their agents up in \(ResultTable.format(monotonic() - started, 1)) s")
        // The comparison with iperf2 needs the run's figures: keep them in a file of the lab's.
        let resultPath = load.json ?? "/tmp/mslt-\(getpid())-result.json"
        defer { if load.json == nil { unlink(resultPath) } }
        let forwarded = load.forwarded + (load.json == nil && iperf != nil ? ["--json", resultPath] : [])
        let coordinator = try lab.spawn(
            in: lab.coordinator, self_,
            ["loadtest", "run", "--one-clock", "--computer-name", "COORDINATOR", "--bind", NamespaceLab.coordinatorAddress, "--expect", "\(hosts)",
             "--discovery-timeout", "\(max(3, Double(hosts) * 0.1))"] + common + forwarded)
        var status: Int32?
        while status == nil && labInterrupted == 0 {
            status = coordinator.poll()
            if status == nil { usleep(50_000) }
        }
        if labInterrupted != 0 {
            coordinator.stop(grace: 1)
            printError("lab: interrupted; tearing down")
        }
        if let iperf, labInterrupted == 0, status == 0 {
            let rates = try iperf.split(separator: ",").map {
                guard let rate = Int($0), rate > 0 else { throw ValidationError("--iperf takes rates such as 1000,4000,16000") }
                return rate
            }
            try compareWithIperf(lab, rates: rates, resultPath: resultPath)
        }
        let tearing = monotonic()
        Subprocess.stopAll(agents)
        agents = []
        lab.remove()
        printError("lab: torn down in \(ResultTable.format(monotonic() - tearing, 1)) s")
        if labInterrupted != 0 { throw ExitCode(130) }
        if let status, status != 0 { throw ExitCode(status) }
    }

    /// Runs iperf2 at `rates` in the same lab and prints its per-host loss beside the run's.
    private func compareWithIperf(_ lab: NamespaceLab, rates: [Int], resultPath: String) throws {
        printError("lab: iperf2 at \(rates.map(String.init).joined(separator: ", ")) datagrams/s, \(load.payload) B, for comparison")
        let duration = try LoadRunOptionGroup.seconds(load.duration)
        let steps = try IperfBaseline.run(in: lab, rates: rates, duration: duration, payload: load.payload)
        let ours = (try? JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: resultPath))))?.steps ?? []
        print("")
        print("iperf2 in the same lab (UDP to a multicast group every host joined, \(load.payload) B), beside mailslot loadtest at the same offered rate:")
        print("offered/s  iperf2 worst-host loss%  iperf2 median loss%  iperf2 hosts without report  mailslot worst-host loss%")
        for step in steps {
            let losses = step.hosts.map(\.lossPercent).sorted()
            let median = losses.isEmpty ? 0 : losses[losses.count / 2]
            let mine = ours.last { $0.offeredRate == step.offeredRate }.map { ResultTable.format($0.worstLossPercent, 3) } ?? "(no step at this rate)"
            let missing = step.hosts.filter { $0.total == nil }.count
            print(
                "\(String(step.offeredRate).padding(to: 9, right: true))  \(ResultTable.format(step.worstLossPercent, 3).padding(to: 23, right: true))  \(ResultTable.format(median, 3).padding(to: 19, right: true))  \(String(missing).padding(to: 27, right: true))  \(mine.padding(to: 24, right: true))")
        }
    }

    /// This program's path (the lab starts copies of it in the namespaces).
    static var executable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }

    private func monotonic() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
