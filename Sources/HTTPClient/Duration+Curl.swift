extension Duration {
    /// Whole milliseconds for libcurl's `_MS` options, rounded up so that a positive duration never
    /// becomes 0 (which libcurl reads as "no limit"); zero or negative durations become 1 ms.
    var curlMilliseconds: Int {
        guard self > .zero else { return 1 }
        let (seconds, attoseconds) = components
        guard seconds < Int64.max / 1000 - 1 else { return Int.max }
        return Int(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
