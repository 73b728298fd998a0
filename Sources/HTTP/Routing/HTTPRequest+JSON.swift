import Foundation

extension HTTPRequest {
    /// Decodes a JSON body: 415 unless the content type is JSON, 400 for malformed JSON,
    /// 422 naming the field when the JSON does not fit `T`.
    public func decodeJSON<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws(HTTPError) -> T {
        let contentType = headers["Content-Type"]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw HTTPError(.unsupportedMediaType, code: "unsupported_media_type",
                            message: "expected Content-Type: application/json, got '\(contentType.prefix(100))'")
        }
        guard !body.isEmpty else { throw HTTPError.badRequest("the request body is empty; expected a JSON document", code: "malformed_json") }
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw HTTPError.badRequest("the request body is not valid JSON", code: "malformed_json")
        } catch let error as DecodingError {
            throw HTTPError(.unprocessableContent, code: "invalid_body", message: Self.describe(error))
        } catch {
            throw HTTPError.badRequest("the request body is not valid JSON", code: "malformed_json")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "(root)" : String(text.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' must be \(Self.typeName(type))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(Self.typeName(type)), not null"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected shape"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "of type \(type)"
        }
    }
}

extension HTTPResponse {
    /// Encodes `value` as a JSON response.
    public static func json(_ value: some Encodable, status: HTTPStatus = .ok, headers: HTTPHeaders = [:]) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        do {
            return HTTPResponse(status: status, headers: headers, body: Array(try encoder.encode(value)))
        } catch {
            return HTTPError(.internalServerError, code: "encoding_failed", message: "the response could not be encoded").response
        }
    }
}
