import Glibc
import MailslotTestSupport

/// What `scripts/package.sh` made in `dist/` (the test command runs it on the release build),
/// and shell steps run off the test pool.
enum Release {
    /// The package's folder.
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/MailslotReleaseTests/Release.swift
        return parts.joined(separator: "/")
    }()

    /// The version, from the C header as scripts/package.sh reads it.
    static let version: String = {
        let header = readTextFile(packageRoot + "/Sources/CMailslotAPI/include/mailslot/mailslot.h") ?? ""
        let line = header.split(separator: "\n").first { $0.hasPrefix("#define MSL_VERSION_STRING ") } ?? ""
        return String(line.split(separator: "\"").dropFirst().first ?? "")
    }()

    /// `dist/swift-mailslot_<version>_<arch>` without its extension.
    static var artifact: String { packageRoot + "/dist/swift-mailslot_\(version)_amd64" }

    /// Runs `script` in `sh -c` (with `set -e`), waiting off the test pool.
    static func shell(_ script: String, timeout: Double = 120) async throws -> (code: Int32?, stdout: String, stderr: String) {
        try await TestThread.await {
            let child = try ChildProcess("/bin/sh", ["-ec", script])
            let code = child.waitForExit(timeout: timeout)
            return (code, child.standardOutput, child.standardError)
        }
    }

    /// A new empty folder every user may enter (the unprivileged steps run from it).
    static func scratchFolder(_ label: String) -> String {
        let path = "/tmp/mailslot-release-\(getpid())-\(label)-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(path, 0o755)
        chmod(path, 0o755)
        return path
    }

    /// Removes a scratch folder.
    static func remove(_ path: String) {
        _ = try? ChildProcess("/bin/rm", ["-rf", path]).waitForExit()
    }
}
