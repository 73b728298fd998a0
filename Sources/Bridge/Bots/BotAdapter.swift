import Foundation
import Templates

/// A bot adapter from `adapters/bots/<name>.json`: how a user message is posted to the bot.
/// (The reply mapping arrives with the bot-bridge issue.)
public struct BotAdapter: Sendable {
    public let name: String
    public let contentType: String
    /// The request body, rendered with the message (`conversation_id`, `message_id`, `user_id`,
    /// `channel`, `locale`, `address`, `display_name`, `text`, `postback`, `media`...).
    public let body: Template

    struct File: Decodable {
        var name: String
        var description: String?
        var request: Request
        struct Request: Decodable {
            var contentType: String?
            var body: String
            enum CodingKeys: String, CodingKey {
                case body
                case contentType = "content_type"
            }
        }
    }

    /// Reads every `*.json` in `directory`; a bad file is an error naming it and its field.
    public static func loadAll(directory: String) throws(AdapterError) -> [String: BotAdapter] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw AdapterError(file: directory, field: "", "cannot be read (is --home or BOTBRIDGE_HOME right?)")
        }
        var adapters: [String: BotAdapter] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = directory + "/" + name
            let data = FileManager.default.contents(atPath: path) ?? Data()
            let file: File
            do { file = try JSONDecoder().decode(File.self, from: data) } catch let error as DecodingError {
                throw AdapterError(file: path, decoding: error)
            } catch {
                throw AdapterError(file: path, field: "", "cannot be read")
            }
            guard file.name == String(name.dropLast(5)) else { throw AdapterError(file: path, field: "name", "must be the file's name") }
            let body: Template
            do { body = try Template(parsing: file.request.body) } catch {
                throw AdapterError(file: path, field: "request.body", "is not a valid template: \(error)")
            }
            adapters[file.name] = BotAdapter(name: file.name, contentType: file.request.contentType ?? "application/json", body: body)
        }
        return adapters
    }
}
