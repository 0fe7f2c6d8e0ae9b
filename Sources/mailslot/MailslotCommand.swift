import ArgumentParser
import Glibc
import MailslotEngine
import MailslotSupport

/// `mailslot`: a thin command line over the library.
@main
struct MailslotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailslot",
        abstract: "Windows mailslots on Linux: create, write, and list named message queues.",
        version: BuildInfo.description,
        subcommands: [Serve.self, Write.self, List.self, Relay.self, LoadTest.self]
    )
}

/// Prints one line to standard error in one `write(2)`, so lines printed by different threads
/// (the loop thread's summary, the main task's `ready`) never interleave.
func printError(_ line: String) {
    writeToStandardError(line + "\n")
}

/// Writes `text` to standard error as one `write(2)` (retried only for what a signal cut).
func writeToStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + written, $0.count - written) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return }
        written += count
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
func reportingFailures<T>(afterFailure: () -> String? = { nil }, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw reported(error, note: afterFailure) }
}

/// As the synchronous `reportingFailures`, for async work.
func reportingFailures<T>(afterFailure: () -> String? = { nil }, _ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw reported(error, note: afterFailure) }
}

/// Prints a ``MailslotError`` (with the note, if any) and turns it into exit code 1; other
/// errors pass through.
private func reported(_ error: any Error, note: () -> String?) -> any Error {
    let failure: CLIFailure
    switch error {
    case let error as CLIFailure: failure = error
    case let error as MailslotError: failure = CLIFailure(error)
    default: return error
    }
    printError(failure.description + (note().map { "; " + $0 } ?? ""))
    return ExitCode(1)
}
