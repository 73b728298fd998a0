import Foundation
import HTTPClient
import Logging

/// The built-in `log` contact center: each handoff packet and forwarded user message is written
/// to the gateway's log (one line: case, reason, how long the transcript is, the suggested
/// articles) and acknowledged. It lets `botbridge serve` show the whole escalation flow with no
/// contact center to hand, and nobody ever answers it: the no-agent timeout applies.
public enum LogContactCenter {
    public static func handler(logger: Logger) -> @Sendable (HTTPClientRequest) async throws -> HTTPClientResponse {
        { request in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
                logger.warning("contact center log: the body is not JSON", [("bytes", String(request.body.count))])
                return HTTPClientResponse(status: 400)
            }
            var metadata: [(String, String)] = [("case_id", object["case_id"] as? String ?? "")]
            if let reason = object["reason"] as? String { metadata.append(("reason", reason)) }
            if let transcript = object["transcript"] as? [Any] { metadata.append(("transcript_messages", String(transcript.count))) }
            if let suggestions = object["suggestions"] as? [[String: Any]] {
                metadata.append(("suggestions", suggestions.compactMap { $0["id"] as? String }.joined(separator: ",")))
            }
            let type = object["type"] as? String ?? "message"
            logger.info(type == "handoff" ? "handoff received by the log contact center" : "user message for the log contact center",
                        metadata)
            return HTTPClientResponse(status: 200)
        }
    }
}
