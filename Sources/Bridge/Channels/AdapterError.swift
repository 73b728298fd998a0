import Foundation

/// A problem in an adapter file, naming the file and the field.
public struct AdapterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// The field, as a path (`inbound.items[0].fields`), or empty for the whole file.
    public var field: String
    public var message: String

    public init(file: String, field: String, _ message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file): \(message)" : "\(file): '\(field)' \(message)"
    }

    /// Turns a decoding failure into an error that names the field.
    init(file: String, decoding error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            self.init(file: file, field: parent.isEmpty ? key.stringValue : parent + "." + key.stringValue, "is required")
        case .typeMismatch(let type, let context):
            self.init(file: file, field: path(context.codingPath), "must be \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            self.init(file: file, field: path(context.codingPath), "must be \(Self.describe(type)), not null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.init(file: file, field: "", "is not valid JSON")
            } else {
                self.init(file: file, field: path(context.codingPath), "has an invalid value: \(context.debugDescription)")
            }
        @unknown default:
            self.init(file: file, field: "", "cannot be read: \(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [String: String].Type: "an object of strings"
        default: "\(type)".contains("Array") ? "a list" : "an object"
        }
    }
}
