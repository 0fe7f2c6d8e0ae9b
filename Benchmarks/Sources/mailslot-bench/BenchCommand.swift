import ArgumentParser
import MailslotSupport

/// `mailslot-bench`: datagram throughput, loss and latency of mailslots under load, each figure
/// next to a baseline measured in the same run.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailslot-bench",
        abstract: "Measure mailslot throughput, loss and latency against C AF_UNIX and POSIX mq baselines.",
        version: BuildInfo.description,
        subcommands: [RunCommand.self, WriterCommand.self, MemoryProbeCommand.self, UDPReceiverCommand.self, CheckBaselinesCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
