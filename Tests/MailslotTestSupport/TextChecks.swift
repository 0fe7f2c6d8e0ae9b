extension String {
    /// How many times `piece` occurs.
    public func components(_ piece: String) -> Int { split(separator: piece, omittingEmptySubsequences: false).count - 1 }

    /// The text without the XML namespace URIs (the only `http://` a self-contained page has).
    public func replacingXMLNamespaces() -> String {
        var text = self
        for uri in ["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml"] {
            text = text.split(separator: uri, omittingEmptySubsequences: false).joined(separator: "")
        }
        return text
    }
}
