/// The ordering keys of a conversation's deliveries. Each receiver gets the conversation in
/// order, but one receiver that is down never holds up another: a bot that fails does not keep
/// its bot-unavailable notice, or an agent's answer, from reaching the user.
public enum OrderingKey {
    /// Messages to the user through the channel.
    public static func toUser(conversation: Int64) -> String { "conversation:\(conversation)" }
    /// User messages to the conversation's bots (whichever bot each one was routed to).
    public static func toBot(conversation: Int64) -> String { "conversation:\(conversation):bot" }
    /// The handoff packet and what follows it, to the contact center.
    public static func toContactCenter(conversation: Int64) -> String { "conversation:\(conversation):contact-center" }
}
