import Foundation

let status = await RootCommand.main(Array(CommandLine.arguments.dropFirst()))
exit(status)
