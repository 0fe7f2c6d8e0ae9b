/// A self-contained report page: XHTML (so it parses as XML), inline CSS for the charts of
/// this module, no script and no fetch; readable on screen and printable (A4 landscape).
public enum ReportPage {
    /// The page: `title` in the head, `body` (XHTML) as the body.
    public static func render(title: String, body: String) -> String {
        let page = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="UTF-8"/>
            <title>\(SVG.escape(title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body)
            </body>
            </html>

            """
        return page.replacing("\n\n</svg>", with: "\n</svg>")
    }

    /// The CSS every chart of this module expects.
    static let style = """
        body { font-family: sans-serif; margin: 1.5em; color: #222; }
        h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
        .plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1em; }
        figure { margin: 0; border: 1px solid #ddd; padding: 0.5em; page-break-inside: avoid; break-inside: avoid; }
        figcaption { font-size: 0.8em; color: #444; margin-top: 0.3em; }
        svg { width: 100%; height: auto; }
        .title { font-size: 15px; font-weight: bold; } .axis { font-size: 12px; } .tick, .legend, .bar-label { font-size: 10px; }
        .frame { fill: none; stroke: #888; } .grid { stroke: #eee; } .marker { stroke: #000; stroke-dasharray: 3 3; }
        .marker-label { font-size: 11px; }
        table { border-collapse: collapse; font-size: 0.85em; margin-top: 0.5em; }
        th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; } th { background: #f4f4f4; }
        td.text, th.text { text-align: left; }
        table.rows td { white-space: nowrap; } table.rows td.note { white-space: normal; }
        .met { color: #1a7f37; font-weight: bold; } .missed { color: #c62828; font-weight: bold; }
        @media print { @page { size: A4 landscape; margin: 1cm; } body { margin: 0; } .plots { grid-template-columns: 1fr 1fr; } }
        """
}
