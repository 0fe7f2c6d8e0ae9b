import Foundation
import Glibc
import MailslotTestSupport
import Testing

/// The agent and the coordinator as real processes: on loopback, and in a lab of namespace
/// hosts with one host made slow. One at a time: the loopback tests' agents serve the same
/// mailslot name (`\\.\mailslot\loadtest`) in this network namespace.
@Suite("Load test: agents and coordinator", .serialized, .timeLimit(.minutes(10)))
struct LoadRoundTripTests {
    /// Reads a JSON file the coordinator wrote.
    static func json(_ path: String) throws -> [String: Any] {
        let text = try #require(readTextFile(path))
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// One host: the agent owns the datagram service, so the coordinator's datagrams leave
    /// from its port and the reports reach the coordinator's mailslot through it. One host has
    /// one NetBIOS name, so both say AGENT1.
    @Test("on loopback: discovery, two paced steps, every message accounted for in the reports that came back over MS-MAIL")
    func loopbackRoundTrip() throws {
        let port = String(20_000 + Int(getpid() % 20_000))
        let agent = try ChildProcess(MailslotBinary.path, [
            "loadtest", "agent", "--computer-name", "AGENT1", "--domain", "LOOP", "--udp-port", port,
        ])
        defer { agent.kill(SIGKILL) }
        #expect(agent.waitForStderrLine(startingWith: "ready agent AGENT1", timeout: 60) != nil, "\(agent.standardError)")
        let output = "/tmp/mailslot-loadtest-\(getpid()).json"
        defer { unlink(output) }
        let run = try ChildProcess(MailslotBinary.path, [
            "loadtest", "run", "--domain", "LOOP", "--udp-port", port, "--broadcast", "127.0.0.1",
            "--computer-name", "AGENT1", "--rates", "500,2000", "--duration", "700ms", "--expect", "1", "--one-clock", "--json", output,
        ])
        #expect(run.waitForExit(timeout: 120) == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("hosts: 1 (AGENT1)"), "\(run.standardOutput)")
        #expect(run.standardError.contains("discovered 1 hosts"))
        let result = try Self.json(output)
        let steps = try #require(result["steps"] as? [[String: Any]])
        #expect(steps.count == 2)
        for step in steps {
            let sent = try #require(step["sent"] as? Double)
            let hosts = try #require(step["hosts"] as? [[String: Any]])
            #expect(hosts.count == 1)
            let host = hosts[0]
            #expect(host["host"] as? String == "AGENT1")
            #expect(host["reported"] as? Bool == true)
            #expect(sent > 0)
            // Loopback loses nothing: every message sent arrived once, in order.
            #expect(host["unique"] as? Double == sent, "\(host)")
            #expect(host["lost"] as? Double == 0)
            #expect(host["duplicates"] as? Double == 0)
            #expect(host["outOfOrder"] as? Double == 0)
            #expect((host["latencyP50"] as? Double ?? 0) > 0)
        }
        #expect(result["knee"] as? Double == 2000)
        agent.kill(SIGTERM)
        #expect(agent.waitForExit(timeout: 30) == 0)
        #expect(agent.standardError.contains("agent: "), "\(agent.standardError)")
    }

    /// The coordinator is stopped for most of its first step, as a starved sender would be: it
    /// sends a third of the rate, the agent gets all of it, and the sweep stops there.
    @Test("a sweep the sender limits: the JSON, the table and the report say 'knee above' the rate sent, not a knee")
    func senderLimitedSweep() throws {
        let port = String(20_000 + Int((getpid() + 7) % 20_000))
        let agent = try ChildProcess(MailslotBinary.path, [
            "loadtest", "agent", "--computer-name", "AGENT2", "--domain", "SLOW", "--udp-port", port,
        ])
        defer { agent.kill(SIGKILL) }
        #expect(agent.waitForStderrLine(startingWith: "ready agent AGENT2", timeout: 60) != nil, "\(agent.standardError)")
        let output = "/tmp/mailslot-loadtest-limited-\(getpid()).json"
        let report = output + ".html"
        defer { unlink(output); unlink(report) }
        let run = try ChildProcess(MailslotBinary.path, [
            "loadtest", "run", "--domain", "SLOW", "--udp-port", port, "--broadcast", "127.0.0.1", "--computer-name", "AGENT2",
            "--sweep", "auto", "--sweep-start", "3000", "--duration", "1s", "--expect", "1", "--one-clock", "--json", output,
            "--report", report,
        ])
        defer { run.kill(SIGKILL) }
        #expect(run.waitForStderrLine(startingWith: "discovered 1 hosts", timeout: 60) != nil, "\(run.standardError)")
        usleep(300_000)
        kill(run.pid, SIGSTOP)
        usleep(1_500_000)
        kill(run.pid, SIGCONT)
        #expect(run.waitForExit(timeout: 120) == 0, "\(run.standardError)")
        let result = try Self.json(output)
        #expect(result["knee"] == nil || result["knee"] is NSNull, "\(result)")
        let above = try #require(result["kneeAbove"] as? Double)
        #expect(above > 0 && above < 2700, "\(above)")
        let summary = try #require(result["kneeSummary"] as? String)
        #expect(summary.hasPrefix("knee above ") && summary.hasSuffix(" msg/s (sender-limited; no host lost)"), "\(summary)")
        #expect(run.standardOutput.contains(summary), "\(run.standardOutput)")
        #expect(readTextFile(report)?.contains("<strong>\(summary)</strong>") == true)
        let steps = try #require(result["steps"] as? [[String: Any]])
        #expect(steps.count == 1, "the sweep stops at the sender's limit: \(steps.count) steps")
    }

    @Test(
        "a lab of 4 hosts with one agent stopped mid-step: the report blames that host alone, with its cause; nothing is left behind",
        .enabled(if: NetworkLab.unavailableReason == nil, "\(NetworkLab.unavailableReason ?? "")"))
    func labBlamesTheSlowHost() throws {
        let output = "/tmp/mailslot-loadtest-lab-\(getpid()).json"
        let report = "/tmp/mailslot-loadtest-lab-\(getpid()).html"
        defer { unlink(output); unlink(report) }
        let lab = try ChildProcess(MailslotBinary.path, [
            "loadtest", "lab", "--hosts", "4", "--rates", "3000,3000", "--duration", "4s", "--json", output, "--report", report,
            // 1 MiB (2 MiB as the kernel counts it, about 1,600 datagrams): a 3-s stop overflows
            // it even if a slow machine sends only a third of the rate.
            "--receive-buffer", "1048576",
        ])
        defer { lab.kill(SIGKILL) }
        #expect(lab.waitForStderrLine(startingWith: "discovered 4 hosts", timeout: 120) != nil, "\(lab.standardError)")
        // Stop host 2's agent for three of the first step's four seconds: up to 9,000 datagrams,
        // more than its socket's buffer holds; the kernel drops the rest (SO_RXQ_OVFL counts them).
        usleep(300_000)
        let pids = try Self.agentPIDs(host: 1, labPID: lab.pid)
        #expect(!pids.isEmpty)
        for pid in pids { kill(pid, SIGSTOP) }
        usleep(3_000_000)
        for pid in pids { kill(pid, SIGCONT) }
        #expect(lab.waitForExit(timeout: 180) == 0, "\(lab.standardError)")
        let result = try Self.json(output)
        let steps = try #require(result["steps"] as? [[String: Any]])
        let first = try #require(steps.first?["hosts"] as? [[String: Any]])
        for host in first {
            let name = host["host"] as? String ?? ""
            let lost = host["lost"] as? Double ?? -1
            if name == "H2" {
                #expect(lost > 0, "\(host)")
                let drops = host["drops"] as? [String: Any] ?? [:]
                let kernel = drops["service.kernel-buffer-full"] as? Double ?? 0
                #expect(kernel > 0, "the stopped host's loss has its cause: \(host)")
                #expect(kernel >= lost * 0.9, "most of it counted by the kernel: \(host)")
            } else {
                #expect(lost == 0, "\(name) lost \(lost)")
            }
        }
        // The second step, with every agent running, loses nothing anywhere.
        let second = try #require(steps.last?["hosts"] as? [[String: Any]])
        #expect(second.allSatisfy { $0["lost"] as? Double == 0 }, "\(second)")
        #expect(lab.standardOutput.contains("H2"))
        #expect(readTextFile(report)?.contains("Loss per host and step") == true)
        // Torn down: no namespace, no agent.
        let namespaces = try ChildProcess("/usr/sbin/ip", ["netns", "list"])
        _ = namespaces.waitForExit(timeout: 10)
        #expect(!namespaces.standardOutput.contains("mslt\(lab.pid)"), "\(namespaces.standardOutput)")
    }

    /// The pids of the agent in lab host `index` (0-based) of the lab process `labPID`.
    static func agentPIDs(host index: Int, labPID: pid_t) throws -> [pid_t] {
        let listing = try ChildProcess("/usr/sbin/ip", ["netns", "pids", "mslt\(labPID)h\(index)"])
        _ = listing.waitForExit(timeout: 10)
        return listing.standardOutput.split(separator: "\n").compactMap { pid_t($0) }
    }
}
