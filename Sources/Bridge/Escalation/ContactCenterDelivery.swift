import Foundation
import HTTPClient
import Logging
import Storage
import Templates

/// The delivery target of a contact center, with what multi-step adapters need: an answer's
/// values are kept on the case (`save`), and a request written before they were known gets them
/// when it is sent (its `refs` markers are replaced; a marker still unknown waits, retried).
///
/// Such requests carry a `Botbridge-Case-Step` header in the outbox naming the case and the
/// adapter request; it is removed before sending.
public enum ContactCenterDelivery {
    /// Which adapter request a delivery is.
    public struct Step: Sendable, Equatable {
        public enum Kind: String, Sendable { case handoff, message }
        public var casePublicID: String
        public var kind: Kind
        public var index: Int

        static let headerName = "Botbridge-Case-Step"

        var header: DeliveryHeader { DeliveryHeader(Self.headerName, "\(casePublicID) \(kind.rawValue) \(index)") }

        init(casePublicID: String, kind: Kind, index: Int) {
            self.casePublicID = casePublicID
            self.kind = kind
            self.index = index
        }

        init?(headers: [DeliveryHeader]) {
            guard let value = headers.first(where: { $0.name == Self.headerName })?.value else { return nil }
            let parts = value.split(separator: " ")
            guard parts.count == 3, let kind = Kind(rawValue: String(parts[1])), let index = Int(parts[2]) else { return nil }
            self.init(casePublicID: String(parts[0]), kind: kind, index: index)
        }
    }

    static let markerPrefix = "__botbridge_ref_"

    /// What stands for `refs.<name>` until it is known (letters, digits and `_` only: it survives
    /// URL and JSON encoding unchanged).
    static func marker(_ name: String) -> String { markerPrefix + name + "__" }

    /// The values kept on a case.
    static func refs(casePublicID: String, in db: Database) throws -> [String: String] {
        guard let json = try db.scalar("SELECT refs FROM cases WHERE public_id = ?", casePublicID).string,
              case .object(let members)? = try? TemplateValue(jsonData: Data(json.utf8)) else { return [:] }
        return members.compactMapValues(\.textValue)
    }

    /// The contact center's target with the hooks above; `log` is answered in process.
    public static func target(for center: ContactCenter, pool: DatabasePool, logger: Logger) -> DeliveryTarget {
        var target = center.target
        if center.adapter.builtin == .log { target.handler = LogContactCenter.handler(logger: logger) }
        let adapter = center.adapter
        guard !adapter.savedNames.isEmpty else { return target }
        target.prepare = { delivery, request in
            var request = request
            request.headers.removeAll { $0.name == Step.headerName }
            guard let step = Step(headers: delivery.headers) else { return request }
            var url = request.url
            var body = String(decoding: request.body, as: UTF8.self)
            guard url.contains(markerPrefix) || body.contains(markerPrefix) else { return request }
            let known = try await pool.read { db in try refs(casePublicID: step.casePublicID, in: db) }
            for (name, value) in known {
                url = url.replacingOccurrences(of: marker(name), with: value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value)
                body = body.replacingOccurrences(of: marker(name), with: value)
            }
            if let range = (url + " " + body).range(of: markerPrefix + "[A-Za-z0-9_]*?__", options: .regularExpression) {
                let name = (url + " " + body)[range].dropFirst(markerPrefix.count).dropLast(2)
                throw HTTPClientError.transport(code: 0, message: "waiting for '\(name)' from an earlier answer of the contact center (case \(step.casePublicID))")
            }
            request.url = url
            request.body = Array(body.utf8)
            return request
        }
        target.onDelivered = { delivery, response in
            guard let step = Step(headers: delivery.headers) else { return nil }
            let requests = step.kind == .handoff ? adapter.handoff : adapter.message
            guard step.index < requests.count, !requests[step.index].save.isEmpty else { return nil }
            guard let answer = try? TemplateValue(jsonData: Data(response.body)) else {
                throw ContactCenterEventError(message: "the answer to \(step.kind.rawValue) request \(step.index) is not JSON; nothing saved")
            }
            let root = ValuePath.Match(value: answer, enclosing: [])
            var saved: [String: TemplateValue] = [:]
            for (name, path) in requests[step.index].save {
                if let value = path.text(in: root) { saved[name] = .string(value) }
            }
            guard !saved.isEmpty else { return nil }
            let patch = TemplateValue.object(saved).json
            let ref = saved["ref"]?.textValue
            return { db in
                // The saved names join the ones already there (a flat object of strings: SQLite's
                // merge patch and PostgreSQL's jsonb concatenation agree).
                let merged = db.dialect == .postgres ? "(CAST(refs AS jsonb) || CAST(? AS jsonb))::text" : "json_patch(refs, ?)"
                try db.run("UPDATE cases SET refs = \(merged), external_ref = coalesce(?, external_ref) WHERE public_id = ?",
                           patch, ref, step.casePublicID)
            }
        }
        return target
    }
}
