import Bridge
import Foundation

/// Where the gateway finds `adapters/` and `prompts/`: `--home`, else `$BOTBRIDGE_HOME`, else
/// the working directory. A deployment is the binary plus those two folders.
struct GatewayHome {
    let path: String

    init(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = explicit ?? environment["BOTBRIDGE_HOME"] ?? FileManager.default.currentDirectoryPath
    }

    /// The `public_url`, `bots` and `channels` of a configuration object, resolved against the
    /// adapters found here. Adapters are read only when the configuration uses them.
    func loadConfiguration(_ object: [String: Any], file: String, defaultPublicURL: String) throws(GatewayHomeError) -> GatewayConfiguration {
        let needsAdapters = object["channels"] != nil || object["bots"] != nil
        do {
            let channelAdapters = needsAdapters ? try ChannelAdapterCatalog.load(directory: path + "/adapters/channels") : ChannelAdapterCatalog()
            let botAdapters = needsAdapters ? try BotAdapter.loadAll(directory: path + "/adapters/bots") : [:]
            return try GatewayConfiguration.load(object, channelAdapters: channelAdapters, botAdapters: botAdapters,
                                                 defaultPublicURL: defaultPublicURL)
        } catch let error as AdapterError {
            throw GatewayHomeError(message: error.description)
        } catch {
            throw GatewayHomeError(message: "\(file): \(error)")
        }
    }
}

struct GatewayHomeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
