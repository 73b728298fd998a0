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

    /// The configuration `serve` runs with no `--config`: the built-in web chat as channel `web`,
    /// answered by the built-in FAQ bot from the sample knowledge base (`examples/kb`, imported at
    /// start-up), and handing off to the built-in `log` contact center. Nil when this home has no
    /// web-chat adapter (the binary runs outside its folder); the parts whose files are missing
    /// are left out.
    func embeddedDefault() -> [String: Any]? {
        let files = FileManager.default
        guard files.fileExists(atPath: path + "/adapters/channels/webchat.json") else { return nil }
        var object: [String: Any] = ["channels": [["id": Self.embeddedWebChat, "adapter": "webchat"]]]
        if files.fileExists(atPath: path + "/adapters/bots/faq.json") {
            object["bots"] = [["id": "faq", "adapter": "faq"]]
            if files.fileExists(atPath: path + "/examples/kb") { object["knowledge_base"] = ["import": [path + "/examples/kb"]] }
        }
        if files.fileExists(atPath: path + "/adapters/contact-centers/log.json") {
            object["contact_centers"] = [["id": "console", "adapter": "log"]]
        }
        return object
    }

    /// A path from the configuration, relative to the configuration file's folder (or to this
    /// home for the embedded default).
    func resolve(_ path: String, configFile: String?) -> String {
        if path.hasPrefix("/") { return path }
        let base = configFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? self.path
        return base + "/" + path
    }

    /// The `public_url`, `bots` and `channels` of a configuration object, resolved against the
    /// adapters found here. Adapters are read only when the configuration uses them.
    func loadConfiguration(_ object: [String: Any], file: String, defaultPublicURL: String) throws(GatewayHomeError) -> GatewayConfiguration {
        let needsAdapters = object["channels"] != nil || object["bots"] != nil || object["campaigns"] != nil || object["contact_centers"] != nil
        do {
            let channelAdapters = needsAdapters ? try ChannelAdapterCatalog.load(directory: path + "/adapters/channels") : ChannelAdapterCatalog()
            let botAdapters = needsAdapters ? try BotAdapter.loadAll(directory: path + "/adapters/bots") : [:]
            let centers = object["contact_centers"] != nil ? try ContactCenterAdapter.loadAll(directory: path + "/adapters/contact-centers") : [:]
            let sinks = object["profile_sinks"] != nil ? try ProfileSinkAdapter.loadAll(directory: path + "/adapters/profile-sinks") : [:]
            return try GatewayConfiguration.load(object, channelAdapters: channelAdapters, botAdapters: botAdapters,
                                                 defaultPublicURL: defaultPublicURL, promptsDirectory: path + "/prompts",
                                                 contactCenterAdapters: centers, profileSinkAdapters: sinks)
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
