import FoundationEssentials
import Glibc
import MailslotSupport

/// One `mailslot loadtest lab`: builds the hosts as network namespaces, starts an agent in each,
/// runs the coordinator in a namespace of its own, optionally runs iperf2 in the same lab for
/// comparison, and tears everything down, whatever happens (errors and interruptions included).
///
/// The command line only parses options, catches signals and prints; the lab's work is here.
public struct LabSession {
    /// How many receiving hosts.
    public var hosts: Int
    /// The lab's domain name.
    public var domain = "LAB"
    /// Keep each agent's output in `loadtest-lab-agent-N.log` in the working folder.
    public var keepLogs = false
    /// Each agent's socket receive buffer in bytes (`nil`: the engine's default).
    public var receiveBuffer: Int?
    /// Options passed on to the coordinator (`loadtest run`): rates, duration, payload, outputs.
    public var runArguments: [String] = []
    /// Where the coordinator writes its JSON, when the caller asked for it (`--json`).
    public var jsonPath: String?
    /// The `mailslot` executable started in the namespaces (agents and coordinator).
    public var executable: String

    /// A lab of `hosts` hosts running copies of `executable`.
    public init(hosts: Int, executable: String) {
        self.hosts = hosts
        self.executable = executable
    }

    /// How a lab run ended.
    public enum Outcome: Equatable, Sendable {
        /// The coordinator exited with this status (0: the run finished).
        case finished(status: Int32)
        /// `interrupted` said so: the coordinator was stopped and the lab torn down.
        case interrupted
    }

    /// Runs the lab.
    /// - Parameters:
    ///   - iperf: rates (datagrams per second) at which to run iperf2 after a successful run,
    ///     with `payload`-byte datagrams for `duration` seconds each; `nil`: no comparison.
    ///   - interrupted: polled while the coordinator runs; `true` stops the run.
    ///   - note: progress lines (stderr for the command line).
    ///   - table: lines of the iperf2 comparison (stdout for the command line).
    /// - Throws: ``LabError`` when the lab cannot be built or a process cannot start.
    public func run(
        iperf: (rates: [Int], payload: Int, duration: Double)? = nil, interrupted: () -> Bool,
        note: (String) -> Void, table: (String) -> Void
    ) throws(LabError) -> Outcome {
        let removed = NamespaceLab.removeStale()
        if removed > 0 { note("lab: removed \(removed) namespaces a crashed lab left") }
        let started = monotonicSeconds()
        let lab = try NamespaceLab(hosts: hosts)
        defer { lab.remove() }
        let common = ["--domain", domain, "--udp-port", "138", "--broadcast", NamespaceLab.broadcast]
        var agents: [Subprocess] = []
        defer { Subprocess.stopAll(agents) }
        for (index, host) in lab.hosts.enumerated() {
            let log = keepLogs ? "loadtest-lab-agent-\(index + 1).log" : "/dev/null"
            let buffer = receiveBuffer.map { ["--receive-buffer", "\($0)"] } ?? []
            let arguments = ["loadtest", "agent", "--computer-name", "H\(index + 1)"] + common + buffer
            agents.append(try lab.spawn(in: host, executable, arguments, outputPath: log))
        }
        note("lab: \(hosts) hosts and their agents up in \(ResultTable.format(monotonicSeconds() - started, 1)) s")
        // The comparison with iperf2 needs the run's figures: keep them in a file of the lab's.
        let resultPath = jsonPath ?? "/tmp/mslt-\(getpid())-result.json"
        defer { if jsonPath == nil { unlink(resultPath) } }
        let forwarded = runArguments + (jsonPath == nil && iperf != nil ? ["--json", resultPath] : [])
        let coordinator = try lab.spawn(
            in: lab.coordinator, executable,
            ["loadtest", "run", "--one-clock", "--computer-name", "COORDINATOR", "--bind", NamespaceLab.coordinatorAddress,
             "--expect", "\(hosts)", "--discovery-timeout", "\(max(3, Double(hosts) * 0.1))"] + common + forwarded)
        var status: Int32?
        while status == nil && !interrupted() {
            status = coordinator.poll()
            if status == nil { usleep(50_000) }
        }
        guard let status else {
            coordinator.stop(grace: 1)
            note("lab: interrupted; tearing down")
            return .interrupted
        }
        if let iperf, status == 0, !interrupted() {
            note("lab: iperf2 at \(iperf.rates.map(String.init).joined(separator: ", ")) datagrams/s, \(iperf.payload) B, for comparison")
            let steps = try IperfBaseline.run(in: lab, rates: iperf.rates, duration: iperf.duration, payload: iperf.payload)
            let ours = (try? JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: resultPath))))?.steps ?? []
            IperfBaseline.comparison(steps, beside: ours, payload: iperf.payload).forEach(table)
        }
        let tearing = monotonicSeconds()
        Subprocess.stopAll(agents)
        agents = []
        lab.remove()
        note("lab: torn down in \(ResultTable.format(monotonicSeconds() - tearing, 1)) s")
        return .finished(status: status)
    }

    /// This program's path (a lab starts copies of the running `mailslot` in its namespaces).
    public static var currentExecutable: String { ProcessSpawner.currentExecutable }
}
