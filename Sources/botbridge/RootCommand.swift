import Foundation

/// `botbridge`: picks the subcommand, handles `--help` at every level, maps usage errors to 64.
enum RootCommand {
    static let subcommands: [any Command.Type] = [ServeCommand.self, VersionCommand.self]

    static var usage: String { "botbridge <subcommand> [options]" }

    static var help: String {
        var text = """
        OVERVIEW: botbridge — a self-hosted gateway between messaging channels, chatbots and contact centers.

        USAGE: \(usage)

        SUBCOMMANDS:

        """
        let width = (subcommands.map { $0.name.count }.max() ?? 0) + 2
        for command in subcommands {
            text += "  " + command.name + String(repeating: " ", count: width - command.name.count) + command.abstract + "\n"
        }
        text += "\n  See 'botbridge <subcommand> --help' for detailed help.\n"
        return text
    }

    /// Runs the command line and returns the exit status.
    static func main(_ arguments: [String]) async -> Int32 {
        guard let first = arguments.first else {
            FileHandle.standardError.write(Data("error: missing subcommand\nUsage: \(usage)\n  See 'botbridge --help'.\n".utf8))
            return ExitStatus.usage
        }
        if first == "-h" || first == "--help" || first == "help" {
            if first == "help", arguments.count > 1, let command = subcommands.first(where: { $0.name == arguments[1] }) {
                print(command.help, terminator: "")
            } else {
                print(help, terminator: "")
            }
            return ExitStatus.success
        }
        if first == "--version" { return await RootCommand.run(VersionCommand.self, []) }
        guard let commandType = subcommands.first(where: { $0.name == first }) else {
            FileHandle.standardError.write(Data("error: unknown subcommand '\(first)'\nUsage: \(usage)\n  See 'botbridge --help'.\n".utf8))
            return ExitStatus.usage
        }
        return await run(commandType, Array(arguments.dropFirst()))
    }

    static func run(_ type: any Command.Type, _ arguments: [String]) async -> Int32 {
        do {
            let options = try ParsedOptions(arguments, specs: type.options)
            if options.flag("help") {
                print(type.help, terminator: "")
                return ExitStatus.success
            }
            let command = try type.init(options: options)
            try command.validate()
            return await command.run()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\nUsage: \(type.usage)\n  See 'botbridge \(type.name) --help'.\n".utf8))
            return ExitStatus.usage
        }
    }
}
