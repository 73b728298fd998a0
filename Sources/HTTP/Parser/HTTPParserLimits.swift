/// Size limits the request parser enforces while it reads a head.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line, CRLF excluded (longer: 414).
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Longest header section, request line excluded (longer: 431). Also bounds chunked trailers.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Most header fields (more: 431).
    public var maxHeaderCount: Int = 100
    /// Longest chunk-size line including extensions (longer: 400).
    public var maxChunkLineBytes: Int = 4 * 1024

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
