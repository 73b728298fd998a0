import CCurl

/// A request URL checked up front with libcurl's own parser: absolute, `http` or `https`, with a host.
struct ValidatedURL: Sendable {
    /// The URL exactly as given, handed to CURLOPT_URL.
    let string: String
    /// The lowercased scheme, `http` or `https`.
    let scheme: String
    /// The host name or address, used to name a DNS failure.
    let host: String

    /// Parses `url`, throwing `.unsupportedScheme` for anything but http/https and `.invalidURL` otherwise.
    init(_ url: String) throws(HTTPClientError) {
        // CURLU handles are independent objects; using one on the caller's thread is safe and does no I/O.
        guard let handle = curl_url() else { throw .invalidURL }
        defer { curl_url_cleanup(handle) }
        // NON_SUPPORT_SCHEME: parse any scheme so that ftp:// or gopher:// is reported as unsupported, not invalid.
        guard curl_url_set(handle, CURLUPART_URL, url, UInt32(CURLU_NON_SUPPORT_SCHEME)) == CURLUE_OK else {
            throw .invalidURL
        }
        guard let scheme = Self.part(CURLUPART_SCHEME, of: handle)?.lowercased() else { throw .invalidURL }
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme(scheme) }
        guard let host = Self.part(CURLUPART_HOST, of: handle), !host.isEmpty else { throw .invalidURL }
        self.string = url
        self.scheme = scheme
        self.host = host
    }

    private static func part(_ part: CURLUPart, of handle: OpaquePointer) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard curl_url_get(handle, part, &value, 0) == CURLUE_OK, let value else { return nil }
        defer { curl_free(value) }
        return String(cString: value)
    }
}
