/// A complete request as handlers see it: head, body, and the server-assigned id.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// The request id: the client's `X-Request-Id` when it is sane, else one the server made.
    public var id: String

    public init(head: HTTPRequestHead, body: [UInt8] = [], id: String = RequestID.make()) {
        self.head = head
        self.body = body
        self.id = id
    }

    public var method: String { head.method }
    public var target: String { head.target }
    public var headers: HTTPHeaders { head.headers }
    public var path: Substring { head.path }

    /// Decoded query parameters.
    public var query: QueryParameters { QueryParameters(head.rawQuery ?? "") }
}
