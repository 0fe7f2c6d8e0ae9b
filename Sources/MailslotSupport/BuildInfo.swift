import CMailslotBuildInfo

/// What this binary was built from, for `--version` and every JSON output.
public enum BuildInfo {
    /// The package version (`0.9.0`).
    public static let version = String(cString: mailslot_build_version())
    /// The commit: 12 hex digits, `-dirty` when the checkout had uncommitted changes, or
    /// `unknown` (a build outside a git checkout without `MAILSLOT_COMMIT`).
    public static let commit = String(cString: mailslot_build_commit())
    /// `0.9.0 (commit 0123456789ab)`.
    public static var description: String { "\(version) (commit \(commit))" }
    /// `"version": "0.9.0", "commit": "0123456789ab"`: the two fields, for a JSON object.
    public static var jsonFields: String { "\"version\": \(JSONText.quoted(version)), \"commit\": \(JSONText.quoted(commit))" }
}
