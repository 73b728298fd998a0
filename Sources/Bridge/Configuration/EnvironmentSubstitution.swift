/// `${NAME}` in configuration strings, replaced by the environment variable NAME, so secrets
/// stay out of the file. `$${` writes a literal `${`. Inside Liquid markup (`{{ ... }}`,
/// `{% ... %}`) nothing is replaced: there `${name}` is Braze's variable syntax
/// (`{{api_trigger_properties.${external_system_msg_body}}}`), read by the template.
public enum EnvironmentSubstitution {
    /// Why a value could not be substituted.
    public struct Missing: Error, Sendable, Equatable {
        public var variable: String
    }

    /// Replaces every `${NAME}` outside Liquid markup in `text`; a variable that is not set is an
    /// error naming it.
    public static func apply(_ text: String, environment: [String: String]) throws(Missing) -> String {
        guard text.contains("${") else { return text }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var inMarkup = false
        func at(_ offset: Int, _ pattern: String) -> Bool {
            let pattern = Array(pattern.utf8)
            return offset + pattern.count <= bytes.count && Array(bytes[offset..<(offset + pattern.count)]) == pattern
        }
        while index < bytes.count {
            if at(index, "{{") || at(index, "{%") {
                inMarkup = true
                output += bytes[index..<(index + 2)]
                index += 2
            } else if inMarkup && (at(index, "}}") || at(index, "%}")) {
                inMarkup = false
                output += bytes[index..<(index + 2)]
                index += 2
            } else if at(index, "$${") {
                output += Array("${".utf8)
                index += 3
            } else if !inMarkup && at(index, "${"), let close = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}")) {
                let name = String(decoding: bytes[(index + 2)..<close], as: UTF8.self)
                guard let value = environment[name] else { throw Missing(variable: name) }
                output += Array(value.utf8)
                index = close + 1
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Applies `apply` to every string in a JSON value (as JSONSerialization returns it); the
    /// error names the field (`channels[0].settings.auth_token`).
    public static func resolve(_ value: Any, environment: [String: String], path: String = "") throws(ConfigurationError) -> Any {
        switch value {
        case let text as String:
            do { return try apply(text, environment: environment) } catch {
                throw ConfigurationError(field: path, "uses ${\(error.variable)}, which is not set in the environment")
            }
        case let array as [Any]:
            var result: [Any] = []
            for (index, element) in array.enumerated() {
                result.append(try resolve(element, environment: environment, path: "\(path)[\(index)]"))
            }
            return result
        case let object as [String: Any]:
            var result: [String: Any] = [:]
            for (key, element) in object.sorted(by: { $0.key < $1.key }) {
                result[key] = try resolve(element, environment: environment, path: path.isEmpty ? key : "\(path).\(key)")
            }
            return result
        default:
            return value
        }
    }
}

/// A problem in botbridge.json, naming the field.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "'\(field)' \(message)" }
}
