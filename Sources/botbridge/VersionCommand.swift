/// `botbridge version`: prints the version.
struct VersionCommand: Command {
    static let name = "version"
    static let abstract = "Print the botbridge version."
    static let options: [OptionSpec] = []

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
    }

    func run() async -> Int32 {
        print("botbridge \(BotbridgeVersion.current)")
        return ExitStatus.success
    }
}

/// The version string of this build.
enum BotbridgeVersion {
    static let current = "0.1.0"
}
