import ArgumentParser
import Glibc
import MailslotEngine

/// `mailslot serve`: create a mailslot and print every message it receives.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a mailslot and print each message on one line to stdout.",
        discussion: "Prints 'ready <full name>' to stderr once it can receive. Exits 0 after --count messages or on SIGINT/SIGTERM; on every exit it prints a one-line summary (messages received, drops by cause) on stderr."
    )

    @Argument(help: "The mailslot: 'x' (meaning \\\\.\\mailslot\\x) or \\\\.\\mailslot\\[path\\]name.")
    var name: String?

    @Option(help: "The largest message writers may send, in bytes (0: any).")
    var maxSize: UInt32 = 0

    @Option(help: "Read timeout: milliseconds, 0, or 'forever'. With a finite timeout, serve exits 1 when no message arrives in time.")
    var timeout: String = "forever"

    @Option(help: "Exit 0 after this many messages.")
    var count: Int?

    @Option(help: "Output format: text, hex or json.")
    var format: MessageFormat = .text

    @OptionGroup var network: NetworkOptions

    @Option(help: ArgumentHelp("Adopt an inherited mailslot server descriptor instead of creating one.", visibility: .hidden))
    var inheritedFd: Int32?

    @Option(help: ArgumentHelp("Receive a mailslot server handle over this Unix socket descriptor.", visibility: .hidden))
    var handleSocketFd: Int32?

    func run() throws {
        guard let readTimeout = ReadTimeout(parsing: timeout) else {
            throw ValidationError("--timeout takes milliseconds, 0 or 'forever', not '\(timeout)'")
        }
        if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
        try reportingFailures {
            let engine = try MailslotEngine()
            let server: MailslotServer
            if let inheritedFd {
                server = try engine.adoptMailslot(descriptor: inheritedFd)
            } else if let handleSocketFd {
                server = try engine.receiveMailslot(over: handleSocketFd)
            } else {
                guard let name else { throw ValidationError("missing NAME") }
                server = try engine.createMailslot(try parseName(name), maxMessageSize: maxSize, readTimeout: readTimeout)
            }
            try server.setReadTimeout(readTimeout)
            if network.udpPort != nil {
                // Embedded mode: this process is the host's datagram service, unless a relay
                // already is (then the relay hands remote messages to this mailslot).
                do {
                    try engine.startDatagramService(try network.configuration())
                } catch MailslotError.alreadyExists(let what) {
                    printError("note: \(what); remote messages come through it")
                }
            }
            let session = ServeSession(engine: engine, server: server, format: format, limit: count)
            try session.run()
        }
    }
}

/// How `serve` prints a message.
enum MessageFormat: String, ExpressibleByArgument, CaseIterable {
    case text, hex, json
}

/// The receive loop of `serve`: callback-driven on the engine's loop.
final class ServeSession {
    let engine: MailslotEngine
    let server: MailslotServer
    let format: MessageFormat
    let limit: Int?
    var received = 0
    var failure: MailslotError?
    /// Set once the loop stopped: completions after that (the close) are ignored.
    var finished = false

    init(engine: MailslotEngine, server: MailslotServer, format: MessageFormat, limit: Int?) {
        self.engine = engine
        self.server = server
        self.format = format
        self.limit = limit
    }

    func run() throws {
        let name = try server.name
        printError("ready \(name.fullName)")
        engine.onSignals([SIGINT, SIGTERM]) { [unowned self] _ in
            engine.stop()
        }
        if limit == 0 { return }
        readNext()
        engine.run()
        finished = true
        printError(summary())
        server.close()
        fflush(nil)
        if let failure { throw failure }
    }

    private func readNext() {
        server.readWithOrigin { [weak self] result in
            guard let self, !self.finished else { return }
            switch result {
            case .success(let (message, origin)):
                print(MessagePrinter.line(for: message, format: format, name: (try? server.name.fullName) ?? "", origin: origin))
                fflush(nil)
                received += 1
                if let limit, received >= limit {
                    engine.stop()
                } else {
                    readNext()
                }
            case .failure(let error):
                failure = error
                engine.stop()
            }
        }
    }

    func summary() -> String {
        let stats = (try? server.statistics()) ?? MailslotStatistics()
        let drops = stats.drops
        var line = "summary: \(received) messages received, \(drops.total) dropped (queue-full \(drops.queueFull), oversize \(drops.oversize), malformed \(drops.malformed), unknown-mailslot \(drops.unknownMailslot))"
        if let datagrams = engine.datagramStatistics { line += "; " + DatagramSummary.line(datagrams) }
        return line
    }
}
