import HTTP

extension WebhookVerification {
    /// What a scheme looks at: the request as the provider sent it and the URL it called.
    public struct Request: Sendable {
        /// The body bytes exactly as received.
        public var body: [UInt8]
        /// The request's header fields, looked up case-insensitively.
        public var headers: HTTPHeaders
        /// The full public URL the provider called, `scheme://host[:port]/path?query`, as the
        /// operator's public base URL spells it plus the request target.
        public var url: String
        /// The `Content-Type` value, parameters included; `nil` when absent.
        public var contentType: String?

        /// A request from its parts; `contentType` defaults to the `Content-Type` header.
        public init(body: [UInt8], headers: HTTPHeaders, url: String, contentType: String? = nil) {
            self.body = body
            self.headers = headers
            self.url = url
            self.contentType = contentType ?? headers["Content-Type"]
        }

        /// `request` as received behind the public base URL `publicBaseURL` (for example
        /// `https://bot.example.com` or `https://example.com/bridge`).
        public init(_ request: HTTPRequest, publicBaseURL: String) {
            self.init(body: request.body, headers: request.headers,
                      url: Self.publicURL(base: publicBaseURL, target: request.target))
        }

        /// `base` without its trailing slashes followed by the path and query of `target`. An
        /// absolute-form target (`http://internal:8080/path?q`) contributes only its path and query:
        /// the provider called the public host, not the one a proxy forwarded to.
        public static func publicURL(base: String, target: String) -> String {
            var base = Substring(base)
            while base.hasSuffix("/") { base = base.dropLast() }
            var pathAndQuery = Substring(target)
            if !pathAndQuery.hasPrefix("/"), let scheme = pathAndQuery.range(of: "://") {
                let authority = pathAndQuery[scheme.upperBound...]
                pathAndQuery = authority.firstIndex { $0 == "/" || $0 == "?" }.map { authority[$0...] } ?? ""
            }
            if !pathAndQuery.hasPrefix("/") { pathAndQuery = "/" + pathAndQuery }
            return String(base) + pathAndQuery
        }

        /// The media type of `contentType`, lowercased, without parameters: `application/json`.
        var mediaType: String? {
            guard let contentType else { return nil }
            let type = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            // A media type holds no whitespace (RFC 9110 §8.3.1), so dropping all of it trims.
            return type.filter { $0 != " " && $0 != "\t" }.lowercased()
        }
    }
}
