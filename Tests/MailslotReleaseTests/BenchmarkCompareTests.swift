import Glibc
import MailslotTestSupport
import Testing

/// `mailslot-bench --compare`, run as users run it: the release build the test command made
/// (`Benchmarks/.build/release`), on saved runs written here.
@Suite("The benchmark's comparison with a saved run", .timeLimit(.minutes(2)))
struct BenchmarkCompareTests {
    static let bench = Release.packageRoot + "/Benchmarks/.build/release/mailslot-bench"

    /// A row as `--json` writes it (the fields the comparison reads).
    static func row(_ scenario: String, _ label: String, ratio: Double, reps: [Double]) -> String {
        "{\"scenario\": \"\(scenario)\", \"case\": \"\(label)\", \"baseline\": \"c-msmail\", \"ratio\": \(ratio), \"ratio_reps\": \(reps)}"
    }

    @Test("--compare flags exactly the rows whose ratio changed beyond both runs' spread; --fail-on-regression turns a regression into exit 1")
    func flagsExactlyTheChangedRows() async throws {
        // Old run: every ratio 1.0 ± 1 %. New run: one row 20 % slower, one 50 % faster, one
        // 1 % slower (inside its 4 % spread), one with only 2 repetitions (cannot be judged).
        let old = "[" + ["steady", "slower", "faster", "two-reps"].map { Self.row("f", $0, ratio: 1.0, reps: [0.99, 1.0, 1.01]) }.joined(separator: ",") + "]"
        let new = "[" + [
            Self.row("f", "steady", ratio: 0.99, reps: [0.97, 0.99, 1.01]),
            Self.row("f", "slower", ratio: 0.8, reps: [0.79, 0.8, 0.81]),
            Self.row("f", "faster", ratio: 1.5, reps: [1.49, 1.5, 1.51]),
            Self.row("f", "two-reps", ratio: 0.5, reps: [0.5, 0.6]),
        ].joined(separator: ",") + "]"
        let oldPath = temporaryFile("old.json", old), newPath = temporaryFile("new.json", new)
        defer { unlink(oldPath); unlink(newPath) }
        let run = try await Release.shell("'\(Self.bench)' run --from '\(newPath)' --compare '\(oldPath)'")
        #expect(run.code == 0, "\(run.stderr)")
        let flagged = run.stdout.split(separator: "\n").filter { $0.hasSuffix("* slower") || $0.hasSuffix("* faster") }.map { line in
            String(line.split(separator: "|").dropFirst().first ?? "").trimmingSpaces
        }
        #expect(flagged.sorted() == ["faster", "slower"], "\(run.stdout)")
        #expect(run.stdout.contains("* slower") && run.stdout.contains("* faster"))
        let strict = try await Release.shell("'\(Self.bench)' run --from '\(newPath)' --compare '\(oldPath)' --fail-on-regression 10 || echo \"exit $?\"")
        #expect(strict.stdout.contains("exit 1"), "\(strict.stdout) \(strict.stderr)")
        let lenient = try await Release.shell("'\(Self.bench)' run --from '\(newPath)' --compare '\(oldPath)' --fail-on-regression 25")
        #expect(lenient.code == 0, "a 20 % regression under a 25 % limit: \(lenient.stderr)")
        // With --report, the page carries the same verdicts.
        let page = newPath + ".html"
        defer { unlink(page) }
        let reported = try await Release.shell("'\(Self.bench)' run --from '\(newPath)' --compare '\(oldPath)' --report '\(page)'")
        #expect(reported.code == 0, "\(reported.stderr)")
        let html = readTextFile(page) ?? ""
        #expect(html.contains("<h2>Against the saved run</h2>"))
        #expect(html.components("<span class=\"missed\">slower</span>") == 1 && html.components("<span class=\"met\">faster</span>") == 1, "\(html)")
        #expect(html.components("within noise") == 2)
    }
}

extension String {
    /// Without leading and trailing spaces.
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
