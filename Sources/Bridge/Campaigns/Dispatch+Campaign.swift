import Storage
import Templates

/// `POST /campaigns/trigger/send` in the domain: a campaign rendered and sent to each recipient.
extension Dispatch {
    /// A campaign trigger after validation.
    struct CampaignTrigger {
        var campaign: Campaign
        var sendID: String?
        /// The call's `trigger_properties`; a recipient's own win over them.
        var properties: [String: TemplateValue]
        var recipients: [CampaignRecipient]
        /// Sends to every user who has written on the campaign's channel instead of `recipients`.
        var broadcast: Bool
    }

    /// Sends the campaign to each recipient, inside the caller's transaction: the recipient's
    /// attributes written, their conversation found (or reopened), the message rendered with
    /// their profile and properties. A recipient that cannot be reached is an error in the
    /// batch; the others are still sent.
    static func campaign(_ trigger: CampaignTrigger, batch: inout DispatchBatch, configuration: GatewayConfiguration,
                         in db: Database, now: Int64) throws {
        let recipients = trigger.broadcast ? try CampaignRecipient.broadcast(channel: trigger.campaign.channel, in: db) : trigger.recipients
        for recipient in recipients {
            do {
                try send(trigger, to: recipient, batch: &batch, configuration: configuration, in: db, now: now)
            } catch let problem as Problem {
                batch.errors.append(problem.description)
            }
        }
    }

    /// Sends the campaign to one recipient; a `Problem` when they cannot be reached.
    static func send(_ trigger: CampaignTrigger, to recipient: CampaignRecipient, batch: inout DispatchBatch,
                     configuration: GatewayConfiguration, in db: Database, now: Int64) throws {
        let campaign = trigger.campaign
        let userID = try recipient.resolve(in: db, now: now)
        for (name, value) in recipient.attributes.sorted(by: { $0.key < $1.key }) {
            try Profiles.set(userID, name, value, source: "api", in: db, now: now)
        }
        guard let target = try target(user: userID, channel: campaign.channel, channels: configuration.channels, in: db, now: now) else {
            throw Problem.noConversation(recipient.label)
        }
        let externalID = try ProfileDirectory.externalID(of: userID, in: db) ?? recipient.label
        let properties = trigger.properties.merging(recipient.triggerProperties) { _, own in own }
        let context = try self.context(user: userID, externalID: externalID, extra: [
            "api_trigger_properties": .object(properties), "campaign_id": .string(campaign.id),
            "send_id": trigger.sendID.map(TemplateValue.string) ?? .null, "dispatch_id": .string(batch.dispatchID),
        ], in: db)
        let message: OutboundMessage
        do { message = try campaign.message.renderUnlessAborted(context) } catch {
            throw Problem.aborted(recipient.label, reason: error.reason)
        }
        guard message.text != nil || message.mediaURL != nil || message.template != nil else {
            throw Problem.nothingToSend(recipient.label)
        }
        try batch.send(message, to: target, label: externalID, configuration: configuration, in: db, now: now)
    }
}
