import ArgumentParser
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
        defer { for agent in agents { agent.stop(grace: 1) } }
        for (index, host) in lab.hosts.enumerated() {
            let log = keepLogs ? "loadtest-lab-agent-\(index + 1).log" : "/dev/null"
            agents.append(try lab.spawn(in: host, self_, ["loadtest", "agent", "--computer-name", "H\(index + 1)"] + common, outputPath: log))
        }
        printError("lab: \(hosts) hosts and their agents up in \(ResultTable.format(monotonic() - started, 1)) s")
        let coordinator = try lab.spawn(
            in: lab.coordinator, self_,
            ["loadtest", "run", "--one-clock", "--computer-name", "COORDINATOR", "--bind", NamespaceLab.coordinatorAddress, "--expect", "\(hosts)",
             "--discovery-timeout", "\(max(3, Double(hosts) * 0.1))"] + common + load.forwarded)
        var status: Int32?
        while status == nil && labInterrupted == 0 {
            status = coordinator.poll()
            if status == nil { usleep(50_000) }
        }
        if labInterrupted != 0 {
            coordinator.stop(grace: 1)
            printError("lab: interrupted; tearing down")
        }
        let tearing = monotonic()
        for agent in agents { agent.stop(grace: 1) }
        agents = []
        lab.remove()
        printError("lab: torn down in \(ResultTable.format(monotonic() - tearing, 1)) s")
        if labInterrupted != 0 { throw ExitCode(130) }
        if let status, status != 0 { throw ExitCode(status) }
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
