/// A chart's legend: coloured swatches and names, four to a line, at most 12 (a lab of 64
/// hosts keeps its lines, not its names).
enum Legend {
    static func svg(names: [(name: String, color: String)], left: Double, top: Double) -> String {
        let n = SVG.number
        var svg = ""
        for (index, entry) in names.prefix(12).enumerated() {
            let x = left + Double(index % 4) * 150, y = top + Double(index / 4) * 14
            svg += "<rect x=\"\(n(x))\" y=\"\(n(y - 8))\" width=\"10\" height=\"3\" fill=\"\(entry.color)\"/>"
            svg += "<text x=\"\(n(x + 14))\" y=\"\(n(y - 4))\" class=\"legend\">\(SVG.escape(entry.name))</text>\n"
        }
        if names.count > 12 {
            svg += "<text x=\"\(n(left))\" y=\"\(n(top + 3 * 14))\" class=\"legend\">… and \(names.count - 12) more</text>\n"
        }
        return svg
    }
}
