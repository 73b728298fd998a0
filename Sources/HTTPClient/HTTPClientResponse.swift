/// A complete HTTP response: status code, header fields in received order, and body bytes.
public struct HTTPClientResponse: Sendable {
    /// The status code of the final response (a 3xx is returned as is; redirects are not followed).
    public var status: Int
    /// Header fields in the order received, names as the server spelled them.
    public var headers: [(name: String, value: String)]
    /// The body, at most `HTTPClientConfiguration.maxResponseBytes` long.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matching the name case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// Every value of a header, in received order, matching the name case-insensitively.
    public func headers(named name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    /// True for a 2xx status.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body decoded as UTF-8, with invalid sequences replaced.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
