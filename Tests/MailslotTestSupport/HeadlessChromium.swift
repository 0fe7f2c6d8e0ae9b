import Glibc

/// A page rendered by headless Chromium as a person would see it: a screenshot and a print to
/// PDF, each checked for its format's signature by the caller.
public enum HeadlessChromium {
    /// Whether Chromium is installed (scripts/setup-peers.sh installs it).
    public static let available = access(path, X_OK) == 0
    static let path = "/usr/bin/chromium"

    /// What rendering gave: the screenshot (PNG) and the printout (PDF) as bytes, and each
    /// Chromium run's exit code and standard error.
    public struct Rendering: Sendable {
        public var png: [UInt8]
        public var pdf: [UInt8]
        public var codes: [Int32?]
        public var errors: String
    }

    /// Renders `page` (a file path) in a window `width` × `height`, then prints it to PDF.
    public static func render(_ page: String, width: Int = 1280, height: Int = 1300) throws -> Rendering {
        let picture = page + ".png", pdf = page + ".pdf", profile = page + ".profile"
        defer { unlink(picture); unlink(pdf) }
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + profile]
        let shot = try ChildProcess(path, common + ["--window-size=\(width),\(height)", "--screenshot=" + picture, "file://" + page])
        let shotCode = shot.waitForExit(timeout: 120)
        let printed = try ChildProcess(path, common + ["--print-to-pdf=" + pdf, "file://" + page])
        let printCode = printed.waitForExit(timeout: 120)
        _ = try? ChildProcess("/bin/rm", ["-rf", profile]).waitForExit(timeout: 30)
        return Rendering(
            png: readFileBytes(picture) ?? [], pdf: readFileBytes(pdf) ?? [], codes: [shotCode, printCode],
            errors: shot.standardError + printed.standardError)
    }

    /// The eight bytes every PNG file starts with.
    public static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}
