import Storage

/// What names the chat user an identification links to the business's external id: its
/// derived external id (`usr_...`), or one of its channel identities.
public enum IdentifySource: Sendable, Equatable {
    /// The chat user's derived external id (`usr_...`).
    case user(String)
    /// A channel identity of the chat user.
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
