/// `${NAME}` in configuration strings, replaced by the environment variable NAME, so secrets
/// stay out of the file. `$${` writes a literal `${`.
public enum EnvironmentSubstitution {
    /// Why a value could not be substituted.
    public struct Missing: Error, Sendable, Equatable {
        public var variable: String
    }

    /// Replaces every `${NAME}` in `text`; a variable that is not set is an error naming it.
    public static func apply(_ text: String, environment: [String: String]) throws(Missing) -> String {
        guard text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if rest[..<start.lowerBound].hasSuffix("$") {
                output += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                output += rest[start.lowerBound...]
                return output
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else { throw Missing(variable: name) }
            output += value
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
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
