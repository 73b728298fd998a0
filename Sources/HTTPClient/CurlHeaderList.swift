import CCurl

/// The `curl_slist` of request header lines for CURLOPT_HTTPHEADER, freed when its owner goes away.
///
/// Built from the caller's ordered headers after checking them, since libcurl sends each line verbatim:
/// a CR or LF in a value would smuggle extra headers or a second request onto the wire.
struct CurlHeaderList: ~Copyable {
    /// The head of the list; nil when there are no lines.
    let pointer: UnsafeMutablePointer<curl_slist>?

    /// Builds the list; `sendsBody` adds an empty `Content-Type:` (unless one is given) so that libcurl does
    /// not label the bytes `application/x-www-form-urlencoded`, and `Expect:` always disables 100-continue.
    init(_ headers: [(name: String, value: String)], sendsBody: Bool) throws(HTTPClientError) {
        var lines: [String] = []
        lines.reserveCapacity(headers.count + 2)
        var hasContentType = false
        var hasExpect = false
        for (name, value) in headers {
            guard Self.isToken(name) else { throw .invalidRequest(reason: "header name is not a valid token") }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
                throw .invalidRequest(reason: "value of header '\(name)' contains CR, LF or NUL")
            }
            if name.caseInsensitiveEquals("Content-Type") { hasContentType = true }
            if name.caseInsensitiveEquals("Expect") { hasExpect = true }
            // libcurl reads "Name:" as "remove this header"; "Name;" is how to send an empty value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if sendsBody && !hasContentType { lines.append("Content-Type:") }
        if !hasExpect { lines.append("Expect:") }

        var head: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let appended = curl_slist_append(head, line) else {
                curl_slist_free_all(head)
                throw .transport(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "out of memory building headers")
            }
            head = appended
        }
        pointer = head
    }

    deinit { curl_slist_free_all(pointer) }

    /// True when `string` is a non-empty RFC 9110 token (§5.6.2): the characters allowed in names and methods.
    static func isToken(_ string: String) -> Bool {
        !string.isEmpty && string.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }
}
