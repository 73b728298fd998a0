import Foundation

/// `botbridge`: picks the subcommand, handles `--help` at every level, maps usage errors to 64.
enum RootCommand {
    static let subcommands: [any Command.Type] = [
        ServeCommand.self, DeliveriesListCommand.self, DeliveriesReplayCommand.self, KeysCreateCommand.self, KeysListCommand.self,
        KeysRevokeCommand.self, KnowledgeBaseImportCommand.self, KnowledgeBaseSearchCommand.self, MigrateCommand.self,
        CopyCommand.self, VersionCommand.self,
    ]

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
        // A command's name may be several words ("deliveries list"); the longest match wins.
        let matches = subcommands.filter { arguments.starts(with: $0.name.split(separator: " ").map(String.init)) }
        guard let commandType = matches.max(by: { $0.name.count < $1.name.count }) else {
            let group = subcommands.filter { $0.name.hasPrefix(first + " ") }
            if !group.isEmpty {
                var text = arguments.count > 1 ? "error: unknown subcommand '\(first) \(arguments[1])'\n" : "error: missing subcommand\n"
                text += "Usage:\n" + group.map { "  \($0.usage)\n" }.joined()
                let wantsHelp = arguments.count > 1 && ["-h", "--help"].contains(arguments[1])
                if wantsHelp {
                    print(group.map { "  \($0.name.padding(toLength: 20, withPad: " ", startingAt: 0))\($0.abstract)" }.joined(separator: "\n"))
                    return ExitStatus.success
                }
                FileHandle.standardError.write(Data(text.utf8))
                return ExitStatus.usage
            }
            FileHandle.standardError.write(Data("error: unknown subcommand '\(first)'\nUsage: \(usage)\n  See 'botbridge --help'.\n".utf8))
            return ExitStatus.usage
        }
        return await run(commandType, Array(arguments.dropFirst(commandType.name.split(separator: " ").count)))
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
