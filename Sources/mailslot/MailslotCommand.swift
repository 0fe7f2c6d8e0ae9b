import ArgumentParser
import Glibc
import MailslotEngine

/// `mailslot`: a thin command line over the library.
@main
struct MailslotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailslot",
        abstract: "Windows mailslots on Linux: create, write, and list named message queues.",
        subcommands: [Serve.self, Write.self, List.self, Relay.self]
    )
}

/// Prints one line to standard error.
func printError(_ line: String) {
    var standardError = StandardError()
    print(line, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}

/// Parses a NAME or TARGET argument: the short form `x` or any full form.
func parseName(_ text: String) throws -> MailslotName {
    do {
        return try MailslotName(shortOrFull: text)
    } catch {
        throw CLIFailure(MailslotError.invalidName(error))
    }
}

/// A failure the CLI reports as one line naming the condition and its Win32 code.
struct CLIFailure: Error, CustomStringConvertible {
    let error: MailslotError
    init(_ error: MailslotError) { self.error = error }
    var description: String { "mailslot: \(error)" }
}

/// Runs `body`; a ``MailslotError`` becomes a one-line message and exit code 1. When
/// `afterFailure` returns a note, it follows the error on the same line (after `; `).
func reportingFailures(afterFailure: () -> String? = { nil }, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as CLIFailure {
        printError(failure.description + (afterFailure().map { "; " + $0 } ?? ""))
        throw ExitCode(1)
    } catch let error as MailslotError {
        printError(CLIFailure(error).description + (afterFailure().map { "; " + $0 } ?? ""))
        throw ExitCode(1)
    }
}
