import Foundation
import HTTP
import Logging

/// An error on the Braze-compatible routes, in Braze's shape: `{"message": "...", "errors": [...]}`.
public struct BrazeError: HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var message: String
    public var errors: [String]
    public var headers: HTTPHeaders

    public init(_ status: HTTPStatus, _ message: String, errors: [String] = [], headers: HTTPHeaders = [:]) {
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers
    }

    /// The same problem as a standard error, for a Braze route.
    public init(_ error: HTTPError) {
        self.init(error.status, error.message, errors: [error.code], headers: error.headers)
    }

    public var description: String { "\(status.code) \(message)" }

    public var response: HTTPResponse {
        var headers = self.headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        let body = #"{"message":"# + JSONString.quote(message) + #","errors":["# + errors.map(JSONString.quote).joined(separator: ",") + "]}"
        return HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
    }
}
