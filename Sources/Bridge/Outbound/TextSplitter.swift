/// Splits a long text into parts a provider accepts, in order: each part at most `limit`
/// characters (grapheme clusters, so emoji and accents are never cut), broken at the last
/// whitespace within the limit when there is one.
enum TextSplitter {
    static func split(_ text: String, limit: Int) -> [String] {
        guard limit > 0, text.count > limit else { return [text] }
        var parts: [String] = []
        var rest = Substring(text)
        while rest.count > limit {
            let hardEnd = rest.index(rest.startIndex, offsetBy: limit)
            var end = hardEnd
            if let space = rest[..<hardEnd].lastIndex(where: \.isWhitespace), space > rest.startIndex {
                end = space
            }
            parts.append(String(rest[..<end]))
            rest = rest[end...].drop(while: \.isWhitespace)
        }
        if !rest.isEmpty { parts.append(String(rest)) }
        return parts
    }
}
