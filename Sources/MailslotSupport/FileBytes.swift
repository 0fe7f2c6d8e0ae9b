import Glibc

/// Whole small files, read as bytes (no text decoding): the one file reader of the package's
/// tools and tests. Internal to the package; not a stable API.
public enum FileBytes {
    /// The bytes of the file at `path`, or `nil` when it cannot be opened.
    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}
