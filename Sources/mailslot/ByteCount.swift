import ArgumentParser

/// A size in bytes from the command line: a number, optionally with K, M or G (powers of 1024).
struct ByteCount: ExpressibleByArgument {
    /// The size in bytes.
    let bytes: Int

    init?(argument: String) {
        let text = argument.uppercased()
        let units: [(String, Int)] = [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
        var multiplier = 1
        var digits = Substring(text)
        for (suffix, value) in units where text.hasSuffix(suffix) || text.hasSuffix(suffix + "IB") {
            multiplier = value
            digits = text.prefix(while: \.isNumber)
            break
        }
        guard let number = Int(digits), number >= 0, number <= (1 << 32) / multiplier else { return nil }
        bytes = number * multiplier
    }
}
