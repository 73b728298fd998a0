/// One thing a provider told us in a webhook: a message from a user or a status of one of ours.
public struct InboundItem: Sendable, Equatable {
    public enum Kind: String, Sendable { case message, status }

    public var kind: Kind
    /// Our field names (`provider_message_id`, `address`, `display_name`, `text`, `postback`,
    /// `locale`, `status`...) with the values found; absent or empty values are left out.
    public var fields: [String: String]
    public var media: [InboundMedia]

    public init(kind: Kind, fields: [String: String], media: [InboundMedia] = []) {
        self.kind = kind
        self.fields = fields
        self.media = media
    }

    public subscript(field: String) -> String? { fields[field] }
}

/// An attachment: where it is (a URL, or a provider media id) and its type.
public struct InboundMedia: Sendable, Equatable {
    public var url: String
    public var type: String?

    public init(url: String, type: String?) {
        self.url = url
        self.type = type
    }
}
