import HTTP
import Signing

// Twilio request validation.
// https://www.twilio.com/docs/usage/webhooks/webhooks-security
// https://www.twilio.com/docs/usage/security#validating-requests
// Reference implementation: https://github.com/twilio/twilio-python/blob/main/twilio/request_validator.py
//
// The signed string is the full URL Twilio called, then, for a form-encoded POST, every parameter
// name immediately followed by its value (no separators), names in sorted order and, for a name
// sent several times, its distinct values sorted too. The MAC is HMAC-SHA1 keyed with the auth
// token, sent as standard base64 in `X-Twilio-Signature`.
//
// Any other body (JSON) is not spread into parameters: Twilio appends `bodySHA256=<hex SHA-256 of
// the raw body>` to the URL's query, signs the URL alone, and the body must hash to that value.
extension WebhookVerification {
    /// The header Twilio signs with.
    static let twilioSignatureHeader = "X-Twilio-Signature"

    static func verifyTwilio(_ request: Request, keys: [[UInt8]]) throws(WebhookVerificationError) {
        let header = twilioSignatureHeader
        guard let signature = request.headers[header], !signature.isEmpty else { throw .signatureMissing(header: header) }
        guard let presented = Base64.decode(signature), presented.count == SHA1.digestSize else {
            throw .signatureMalformed(header: header)
        }

        var parameters: [UInt8] = []
        if request.mediaType == "application/x-www-form-urlencoded" {
            parameters = twilioParameterBytes(QueryParameters(bytes: request.body))
        } else if !request.body.isEmpty {
            // The signature covers the URL only; it covers the body through `bodySHA256`. A body
            // without one is not covered by anything, so it is refused.
            guard let expectedHash = twilioBodyHash(in: request.url),
                  ConstantTime.equals(Array(Hex.encode(SHA256.hash(request.body)).utf8), expectedHash) else {
                throw .signatureMismatch(header: header)
            }
        }

        for url in twilioURLVariants(request.url) {
            let message = Array(url.utf8) + parameters
            for key in keys where ConstantTime.equals(HMAC<SHA1>.authenticationCode(for: message, key: key), presented) {
                return
            }
        }
        throw .signatureMismatch(header: header)
    }

    // MARK: - Signed string

    /// Each parameter name followed by its value, names in byte order and, within a name, its
    /// distinct values in byte order. Repeated identical pairs count once, as in Twilio's own
    /// validators (`sorted(set(values))` in twilio-python, `new Set(...)` in twilio-node).
    static func twilioParameterBytes(_ parameters: QueryParameters) -> [UInt8] {
        var pairs: [(name: [UInt8], value: [UInt8])] = parameters.map { (Array($0.name.utf8), Array($0.value.utf8)) }
        // Byte order of UTF-8 is code point order, which is what Python's `sorted` uses; Swift's
        // `String <` would compare canonically equivalent spellings as equal.
        pairs.sort { a, b in
            a.name == b.name ? a.value.lexicographicallyPrecedes(b.value) : a.name.lexicographicallyPrecedes(b.name)
        }
        var bytes: [UInt8] = []
        var previous: (name: [UInt8], value: [UInt8])?
        for pair in pairs {
            if let previous, previous.name == pair.name, previous.value == pair.value { continue }
            bytes += pair.name
            bytes += pair.value
            previous = pair
        }
        return bytes
    }

    /// The `bodySHA256` value in `url`'s query, as bytes to compare with lowercase hex; `nil` when
    /// it is absent or given more than once.
    static func twilioBodyHash(in url: String) -> [UInt8]? {
        guard let questionMark = url.firstIndex(of: "?") else { return nil }
        var query = url[url.index(after: questionMark)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        let values = QueryParameters(query).values("bodySHA256")
        guard values.count == 1 else { return nil }
        return Array(values[0].lowercased().utf8)
    }

    // MARK: - Ports

    /// `url` as given, then, since proxies and Twilio's own signers disagree on spelling the
    /// default port: with `:443` (https) or `:80` (http) added when it names no port, or with the
    /// port removed when it names the default one. A non-default port is never dropped.
    static func twilioURLVariants(_ url: String) -> [String] {
        guard let schemeEnd = url.range(of: "://") else { return [url] }
        let defaultPort: Substring
        switch url[..<schemeEnd.lowerBound].lowercased() {
        case "https": defaultPort = "443"
        case "http": defaultPort = "80"
        default: return [url]
        }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = url[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.endIndex
        let authority = url[authorityStart..<authorityEnd]
        // The port follows the last colon after any userinfo and outside an IPv6 literal.
        let hostStart = authority.lastIndex(of: "@").map(authority.index(after:)) ?? authority.startIndex
        let hostAndPort = authority[hostStart...]
        let afterHost = hostAndPort.lastIndex(of: "]") ?? hostAndPort.startIndex
        guard let colon = hostAndPort[afterHost...].lastIndex(of: ":") else {
            return [url, "\(url[..<authorityEnd]):\(defaultPort)\(url[authorityEnd...])"]
        }
        if hostAndPort[hostAndPort.index(after: colon)...] == defaultPort {
            return [url, "\(url[..<colon])\(url[authorityEnd...])"]
        }
        return [url]
    }
}
