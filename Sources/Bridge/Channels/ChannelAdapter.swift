import Foundation

/// A channel adapter: one provider's wire format, read from `adapters/channels/<name>.json`.
/// Adding a provider whose signature scheme is known takes one such file and no Swift.
///
/// Templates (URL, auth values, bodies) are Liquid strings rendered with `settings`, the
/// message (`to`, `text`, `media_url`...) and the conversation; paths (`select`, `fields`)
/// name values in the provider's request (see `ValuePath`).
public struct ChannelAdapter: Sendable, Decodable, Equatable {
    /// The adapter's name: the file name without `.json`.
    public var name: String
    public var description: String?
    /// Settings a channel using this adapter gives (or inherits from their defaults).
    public var settings: [String: Setting]
    public var verify: Verification
    /// A GET handshake the provider performs when the webhook is registered.
    public var handshake: Handshake?
    public var inbound: Inbound
    public var outbound: Outbound?
    /// The provider's status words mapped onto ours.
    public var statuses: [String: MessageDeliveryStatus]
    /// Free-form messages are allowed only this many hours after the user's last message (WhatsApp: 24).
    public var sessionWindowHours: Int?

    enum CodingKeys: String, CodingKey {
        case name, description, settings, verify, handshake, inbound, outbound, statuses
        case sessionWindowHours = "session_window_hours"
    }

    /// One setting of the adapter.
    public struct Setting: Sendable, Decodable, Equatable {
        /// The channel must give it (no default).
        public var required: Bool
        /// Never logged or shown (tokens, secrets).
        public var secret: Bool
        /// The value when the channel gives none (provider base URLs default to the real ones).
        public var `default`: String?
        public var description: String?

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
            secret = try container.decodeIfPresent(Bool.self, forKey: .secret) ?? false
            `default` = try container.decodeIfPresent(String.self, forKey: .default)
            description = try container.decodeIfPresent(String.self, forKey: .description)
        }

        enum CodingKeys: String, CodingKey { case required, secret, `default`, description }
    }

    /// How inbound requests are authenticated.
    public struct Verification: Sendable, Decodable, Equatable {
        /// twilio-hmac-sha1, meta-hub-sha256, google-hmac-sha512, standard-webhooks or none (web chat only).
        public var scheme: String
        /// The setting that holds the secret (several, comma-separated in the value, for rotation).
        public var secretSetting: String?

        enum CodingKeys: String, CodingKey {
            case scheme
            case secretSetting = "secret_setting"
        }
    }

    /// The provider's GET handshake.
    public struct Handshake: Sendable, Decodable, Equatable {
        /// meta-hub-challenge
        public var kind: String
        /// The setting that holds the verify token.
        public var tokenSetting: String

        enum CodingKeys: String, CodingKey {
            case kind
            case tokenSetting = "token_setting"
        }
    }

    /// How to read an inbound request.
    public struct Inbound: Sendable, Decodable, Equatable {
        /// form or json.
        public var format: BodyFormat
        /// What to answer once the request is committed.
        public var acknowledge: Acknowledgement
        /// Rules that find items (messages, statuses) in the request; several may match.
        public var items: [ItemRule]
    }

    /// The answer to an accepted webhook.
    public struct Acknowledgement: Sendable, Decodable, Equatable {
        public var status: Int
        public var contentType: String?
        public var body: String?

        enum CodingKeys: String, CodingKey {
            case status, body
            case contentType = "content_type"
        }
    }

    /// One kind of item in a request.
    public struct ItemRule: Sendable, Decodable, Equatable {
        /// message or status.
        public var type: ItemType
        /// Where the items are (`entry[*].changes[*].value.messages[*]`); absent: the whole request is one item.
        public var select: String?
        /// The item counts only if this path holds a value (`MessageSid`, `message`...).
        public var when: String?
        /// ...and only if this path holds none (Twilio's status callbacks carry `MessageStatus`).
        public var unless: String?
        /// Our field name → path in the item (`^` steps out to the enclosing object).
        public var fields: [String: String]
        /// Media attachments, when the item can carry them.
        public var media: MediaRule?
    }

    /// Where media URLs and types are: numbered form fields (`MediaUrl{n}` for n below `count`)
    /// or a list in the item.
    public struct MediaRule: Sendable, Decodable, Equatable {
        public var count: String?
        public var url: String
        public var type: String?
        /// A list path (`attachments[*]`) whose elements hold `url` and `type`.
        public var select: String?
    }

    /// How to send a message through the provider.
    public struct Outbound: Sendable, Decodable, Equatable {
        public var method: String
        public var url: String
        public var auth: Auth?
        public var headers: [String: String]?
        /// form or json.
        public var format: BodyFormat
        /// JSON body template (format json).
        public var body: String?
        /// Form fields, value templates (format form); empty values are left out.
        public var fields: [String: String]?
        /// Body template for a WhatsApp-style template message (session window fallback).
        public var templateBody: String?
        /// Where the provider's message id is in its JSON answer.
        public var messageIDPath: String?
        /// Longer texts are split, in order, into parts of at most this many characters.
        public var textLimit: Int?

        enum CodingKeys: String, CodingKey {
            case method, url, auth, headers, format, body, fields
            case templateBody = "template_body"
            case messageIDPath = "message_id_path"
            case textLimit = "text_limit"
        }
    }

    /// Authentication added to each outbound call (values are templates over settings).
    public struct Auth: Sendable, Decodable, Equatable {
        /// basic, bearer or header.
        public var type: String
        public var username: String?
        public var password: String?
        public var token: String?
        public var header: String?
        public var value: String?
    }

    public enum BodyFormat: String, Sendable, Decodable, Equatable { case form, json }
    public enum ItemType: String, Sendable, Decodable, Equatable { case message, status }
}

/// Our words for a message's delivery status; providers' words map onto these.
public enum MessageDeliveryStatus: String, Sendable, Codable, CaseIterable, Comparable {
    case received, queued, sent, delivered, read, failed, undelivered

    /// Later states win over earlier ones when callbacks arrive out of order; failures are final.
    var rank: Int {
        switch self {
        case .received: 0
        case .queued: 1
        case .sent: 2
        case .delivered: 3
        case .read: 4
        case .failed, .undelivered: 5
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}
