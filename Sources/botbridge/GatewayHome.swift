import Bridge
import Foundation

/// Where the gateway finds `adapters/` and `prompts/`: `--home`, else `$BOTBRIDGE_HOME`, else
/// the working directory. A deployment is the binary plus those two folders.
struct GatewayHome {
    let path: String

    init(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = explicit ?? environment["BOTBRIDGE_HOME"] ?? FileManager.default.currentDirectoryPath
    }

    /// The id of the embedded default's web-chat channel.
    static let embeddedWebChat = "web"

    /// The configuration `serve` runs with no `--config`: the built-in web chat as channel `web`.
    /// Nil when this home has no web-chat adapter (the binary runs outside its folder).
    func embeddedDefault() -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: path + "/adapters/channels/webchat.json") else { return nil }
        return ["channels": [["id": Self.embeddedWebChat, "adapter": "webchat"]]]
    }

    /// The `public_url`, `bots` and `channels` of a configuration object, resolved against the
    /// adapters found here. Adapters are read only when the configuration uses them.
    func loadConfiguration(_ object: [String: Any], file: String, defaultPublicURL: String) throws(GatewayHomeError) -> GatewayConfiguration {
        let needsAdapters = object["channels"] != nil || object["bots"] != nil || object["campaigns"] != nil || object["contact_centers"] != nil
        do {
            let channelAdapters = needsAdapters ? try ChannelAdapterCatalog.load(directory: path + "/adapters/channels") : ChannelAdapterCatalog()
            let botAdapters = needsAdapters ? try BotAdapter.loadAll(directory: path + "/adapters/bots") : [:]
            let centers = object["contact_centers"] != nil ? try ContactCenterAdapter.loadAll(directory: path + "/adapters/contact-centers") : [:]
            return try GatewayConfiguration.load(object, channelAdapters: channelAdapters, botAdapters: botAdapters,
                                                 defaultPublicURL: defaultPublicURL, promptsDirectory: path + "/prompts",
                                                 contactCenterAdapters: centers)
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
