/// A usage mistake on the command line: printed with the usage line, exit status 64.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// One option a command accepts.
struct OptionSpec: Sendable {
    enum Kind: Sendable { case flag, value }

    let name: String
    let kind: Kind
    let valueName: String
    let help: String

    static func flag(_ name: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .flag, valueName: "", help: help)
    }

    static func value(_ name: String, _ valueName: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .value, valueName: valueName, help: help)
    }
}

/// The options a command line gave, after checking them against the command's specs.
struct ParsedOptions {
    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// Parses `--name value`, `--name=value`, `--flag`, `-h`; `--` ends options.
    init(_ arguments: [String], specs: [OptionSpec]) throws(UsageError) {
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            if argument == "-h" || argument == "--help" { flags.insert("help"); continue }
            guard argument.hasPrefix("--") else { throw UsageError("unknown option '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = specs.first(where: { $0.name == name }) else { throw UsageError("unknown option '--\(name)'") }
            switch spec.kind {
            case .flag:
                if inlineValue != nil { throw UsageError("option '--\(name)' takes no value") }
                flags.insert(name)
            case .value:
                if let inlineValue {
                    values[name] = inlineValue
                } else {
                    guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                        throw UsageError("option '--\(name)' needs a value (\(spec.valueName))")
                    }
                    values[name] = arguments[index]
                    index += 1
                }
            }
        }
    }
}
