import Storage

/// What names the chat user an identification links to the business's external id: its
/// derived external id (`usr_...`), or one of its channel identities.
public enum IdentifySource: Sendable, Equatable {
    case user(String)
    case identity(channel: String, address: String)

    /// The user row it names, if any.
    func user(in db: Database) throws -> Int64? {
        switch self {
        case .user(let id): try ProfileDirectory.user(.externalID(id), in: db)
        case .identity(let channel, let address):
            try db.scalar("SELECT user_id FROM identities WHERE channel = ? AND address = ?", channel, address).int64
        }
    }
}
