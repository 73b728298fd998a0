import Foundation
import Logging

/// An error that knows the HTTP status it should produce.
public protocol HTTPResponseError: Error {
    /// The response this error renders as.
    var response: HTTPResponse { get }
}

/// The standard error: renders as `{"error":{"code":"...","message":"..."}}` with its status.
public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var code: String
    public var message: String
    /// Extra response headers (e.g. `Allow`, `WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public var response: HTTPResponse {
        var headers = self.headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        let body = #"{"error":{"code":"# + JSONString.quote(code) + #","message":"# + JSONString.quote(message) + "}}"
        return HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(.badRequest, code: code, message: message)
    }

    public static func notFound(_ message: String = "no such resource") -> HTTPError {
        HTTPError(.notFound, code: "not_found", message: message)
    }
}
