/// A subcommand: parsed options, a validation step, a run step that returns the exit status.
protocol Command: Sendable {
    /// The word that selects it, e.g. `serve`.
    static var name: String { get }
    /// One line for the root help.
    static var abstract: String { get }
    /// Longer help text after the usage line.
    static var discussion: String { get }
    static var options: [OptionSpec] { get }

    /// Builds the command from parsed options; usage errors are thrown here or in `validate`.
    init(options: ParsedOptions) throws(UsageError)
    func validate() throws(UsageError)
    func run() async -> Int32
}

extension Command {
    static var discussion: String { "" }
    func validate() throws(UsageError) {}

    static var usage: String {
        let opts = options.map { $0.kind == .flag ? "[--\($0.name)]" : "[--\($0.name) \($0.valueName)]" }.joined(separator: " ")
        return "botbridge \(name)" + (opts.isEmpty ? "" : " " + opts)
    }

    static var help: String {
        var text = "OVERVIEW: \(abstract)\n\nUSAGE: \(usage)\n"
        if !discussion.isEmpty { text += "\n\(discussion)\n" }
        text += "\nOPTIONS:\n"
        let rows = options.map { ($0.kind == .flag ? "--\($0.name)" : "--\($0.name) <\($0.valueName)>", $0.help) }
            + [("-h, --help", "Show help information.")]
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        for (left, right) in rows {
            text += "  " + left + String(repeating: " ", count: width - left.count) + right + "\n"
        }
        return text
    }
}

/// Exit statuses (sysexits.h where one fits).
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let config: Int32 = 78
}
