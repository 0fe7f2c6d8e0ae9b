import Glibc

/// The vectors in `Vectors/` (read from the source tree, next to this file).
enum VectorFile {
    static let directory: String = {
        let file = #filePath
        return String(file[..<file.lastIndex(of: "/")!]) + "/Vectors"
    }()

    /// One row of `Vectors/INDEX.md`: what tshark decoded from the file.
    struct Expectation {
        let file: String
        let bytes: Int
        let type: UInt8
        let flags: UInt8
        let dgmLength: Int
        let source: String
        let destination: String
        let dataCount: Int
        let dataOffset: Int
        let mailslot: String
    }

    static func text(_ name: String) -> String {
        guard let handle = fopen(directory + "/" + name, "r") else { return "" }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, handle)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func bytes(_ name: String) -> [UInt8] {
        let digits = Array(text(name).utf8.filter { $0 != 10 && $0 != 13 && $0 != 32 })
        return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(nibble(digits[$0]) << 4 | nibble(digits[$0 + 1])) }
    }

    static let expectations: [Expectation] = text("INDEX.md").split(separator: "\n").compactMap { line in
        let cells = line.split(separator: "|").map { $0.trimmingSpaces }
        guard cells.count == 10, cells[0].hasSuffix(".hex") else { return nil }
        return Expectation(
            file: cells[0], bytes: Int(cells[1])!, type: UInt8(cells[2])!, flags: UInt8(cells[3].dropFirst(2), radix: 16)!,
            dgmLength: Int(cells[4])!, source: cells[5], destination: cells[6], dataCount: Int(cells[7])!,
            dataOffset: Int(cells[8])!, mailslot: cells[9])
    }

    private static func nibble(_ digit: UInt8) -> UInt8 {
        digit <= 0x39 ? digit - 0x30 : (digit | 0x20) - 0x61 + 10
    }
}

extension Substring {
    var trimmingSpaces: String {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
