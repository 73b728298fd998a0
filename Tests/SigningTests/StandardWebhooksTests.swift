import Foundation
import Testing
@testable import Signing

/// A published Standard Webhooks vector.
struct WebhookVector: Sendable, CustomTestStringConvertible {
    let secret: String
    let id: String
    let timestamp: Int64
    let body: String
    let signature: String

    var testDescription: String { id }

    static func make(secret: String = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: String = "msg_p5jXN8AQM9LWM0D4loKWxJek",
                     timestamp: Int64 = 1_614_265_330, body: String = #"{"test": 2432232314}"#,
                     signature: String = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") -> WebhookVector {
        WebhookVector(secret: secret, id: id, timestamp: timestamp, body: body, signature: signature)
    }
}

@Suite struct StandardWebhooksTests {
    static let published: [WebhookVector] = [
        // The specification's example (standard-webhooks repository, libraries' test suites).
        .make(),
        .make(secret: "whsec_plJ3nmyCDGBKInavdOK15jsl", id: "msg_loFOjxBNrRLzqYUf", timestamp: 1_731_705_121,
              body: #"{"event_type":"ping","data":{"success":true}}"#,
              signature: "v1,rAvfW3dJ/X/qxhsaXPOyyCGmRKsaKWcsNccKXlIktD0="),
    ]

    /// A second secret and its signature of `.make()`'s message, from the `standardwebhooks`
    /// Python package, for rotation tests.
    static let otherSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    static func verifier(_ secrets: String...) throws -> StandardWebhooks.Verifier {
        StandardWebhooks.Verifier(secrets: try secrets.map { try StandardWebhooks.Secret($0) })
    }

    /// Verifies `vector` with its own secret, overriding single headers, at `now` seconds.
    static func verify(_ vector: WebhookVector, id: String? = nil, timestamp: String? = nil, signature: String? = nil,
                       body: String? = nil, now: Int64? = nil, secrets: [String]? = nil) throws(StandardWebhooksError) {
        let verifier = StandardWebhooks.Verifier(secrets: try (secrets ?? [vector.secret]).map { secret throws(StandardWebhooksError) in
            try StandardWebhooks.Secret(secret)
        })
        try verifier.verify(id: id ?? vector.id, timestamp: timestamp ?? String(vector.timestamp),
                            signature: signature ?? vector.signature, body: Array((body ?? vector.body).utf8),
                            now: now ?? vector.timestamp)
    }

    // MARK: - Published vectors

    @Test(arguments: published)
    func signsPublishedVector(_ vector: WebhookVector) throws {
        let signer = StandardWebhooks.Signer(secret: try StandardWebhooks.Secret(vector.secret))
        let headers = signer.sign(id: vector.id, timestamp: vector.timestamp, body: Array(vector.body.utf8))
        #expect(headers == StandardWebhooks.Headers(id: vector.id, timestamp: String(vector.timestamp), signature: vector.signature))
        #expect(headers.fields == ["webhook-id": vector.id, "webhook-timestamp": String(vector.timestamp),
                                   "webhook-signature": vector.signature])
        let date = Date(timeIntervalSince1970: TimeInterval(vector.timestamp) + 0.75)
        #expect(signer.sign(id: vector.id, timestamp: date, body: Data(vector.body.utf8)) == headers)
    }

    @Test(arguments: published)
    func verifiesPublishedVector(_ vector: WebhookVector) throws {
        try Self.verify(vector)
        let verifier = try Self.verifier(vector.secret)
        let body = Array(vector.body.utf8)
        try verifier.verify(id: vector.id, timestamp: String(vector.timestamp), signature: vector.signature, body: body,
                            now: Date(timeIntervalSince1970: TimeInterval(vector.timestamp)))
        try verifier.verify(headers: ["Webhook-Id": vector.id, "WEBHOOK-TIMESTAMP": String(vector.timestamp),
                                      "webhook-signature": vector.signature],
                            body: body, now: vector.timestamp + 60)
    }

    @Test func signedAtTheCurrentTimeVerifiesAtTheCurrentTime() throws {
        let secret = StandardWebhooks.Secret.random()
        let headers = StandardWebhooks.Signer(secret: secret).sign(id: "msg_now", timestamp: Date(), body: pattern(100))
        try StandardWebhooks.Verifier(secret: secret).verify(headers: headers.fields, body: pattern(100))
    }

    // MARK: - Secrets

    @Test func secretForms() throws {
        let prefixed = try StandardWebhooks.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(try StandardWebhooks.Secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == prefixed)
        #expect(prefixed.key.count == 24)
        #expect(prefixed.encoded == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        // Unpadded base64 is accepted, as the reference libraries do.
        #expect(try StandardWebhooks.Secret("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").key == Array(0..<32))
        #expect(!"\(prefixed)".contains("MfKQ"))
        let fresh = StandardWebhooks.Secret.random(byteCount: 24)
        #expect(fresh.key.count == 24)
        #expect(try StandardWebhooks.Secret(fresh.encoded) == fresh)
        #expect(fresh != StandardWebhooks.Secret.random(byteCount: 24))
    }

    @Test(arguments: ["", "whsec_", "whsec_not base64!", "whsec_Zg=", "whsec_Z", "whsec-MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "whsec_-_-_"])
    func invalidSecret(_ text: String) {
        #expect(throws: StandardWebhooksError.invalidSecret) { try StandardWebhooks.Secret(text) }
    }

    // MARK: - Rotation and versions

    @Test func anyMatchingSignatureInTheHeaderIsAccepted() throws {
        let vector = WebhookVector.make()
        let wrong = "v1,O5rrMKvxM+1nJE4NOCW0qR+fPywZhOQ6Zut4JaBWuz0="
        try Self.verify(vector, signature: "\(wrong) \(vector.signature)")
        try Self.verify(vector, signature: "\(vector.signature) \(wrong)")
        try Self.verify(vector, signature: "  \(wrong)   \(vector.signature)  ")
    }

    @Test func anyMatchingSecretIsAccepted() throws {
        let vector = WebhookVector.make()
        try Self.verify(vector, secrets: [Self.otherSecret, vector.secret])
        try Self.verify(vector, secrets: [vector.secret, Self.otherSecret])
        #expect(throws: StandardWebhooksError.noMatchingSignature) {
            try Self.verify(vector, secrets: [Self.otherSecret])
        }
        #expect(throws: StandardWebhooksError.noMatchingSignature) {
            try Self.verify(vector, secrets: [])
        }
    }

    @Test func otherSecretMatchesTheReferenceLibrary() throws {
        // Produced by `standardwebhooks` 1.x for Python: Webhook(otherSecret).sign("msg_rotation", 1700000000, "hello").
        let signer = StandardWebhooks.Signer(secret: try StandardWebhooks.Secret(Self.otherSecret))
        #expect(signer.signature(id: "msg_rotation", timestamp: 1_700_000_000, body: Array("hello".utf8))
            == "v1,O5rrMKvxM+1nJE4NOCW0qR+fPywZhOQ6Zut4JaBWuz0=")
    }

    @Test func otherVersionsAreIgnored() throws {
        let vector = WebhookVector.make()
        let bare = String(vector.signature.dropFirst(3))
        // The right bytes under another version label do not count.
        for header in ["v1a,\(bare)", "v2,\(bare)", "V1,\(bare)", bare, "v1,", ",\(bare)", "v1;\(bare)"] {
            #expect(throws: StandardWebhooksError.noMatchingSignature, "\(header)") {
                try Self.verify(vector, signature: header)
            }
        }
        try Self.verify(vector, signature: "v1a,\(bare) v2,AAAA \(vector.signature)")
        try Self.verify(vector, signature: "v1,not-base64 \(vector.signature)")
    }

    // MARK: - Tampering

    @Test func tamperedMessagesFail() {
        let vector = WebhookVector.make()
        let cases: [(String, () throws(StandardWebhooksError) -> Void)] = [
            ("body", { () throws(StandardWebhooksError) in try Self.verify(vector, body: #"{"test": 2432232315}"#) }),
            ("body suffix", { () throws(StandardWebhooksError) in try Self.verify(vector, body: vector.body + " ") }),
            ("id", { () throws(StandardWebhooksError) in try Self.verify(vector, id: "msg_p5jXN8AQM9LWM0D4loKWxJel") }),
            ("timestamp", { () throws(StandardWebhooksError) in try Self.verify(vector, timestamp: String(vector.timestamp + 1)) }),
            ("signature", { () throws(StandardWebhooksError) in
                try Self.verify(vector, signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=")
            }),
            ("truncated signature", { () throws(StandardWebhooksError) in
                try Self.verify(vector, signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ")
            }),
        ]
        for (name, attempt) in cases {
            #expect(throws: StandardWebhooksError.noMatchingSignature, "\(name)") { try attempt() }
        }
    }

    // MARK: - Timestamps

    @Test func timestampTolerance() throws {
        let vector = WebhookVector.make()
        let sent = vector.timestamp
        // Exactly five minutes either way is still accepted.
        try Self.verify(vector, now: sent + 300)
        try Self.verify(vector, now: sent - 300)
        #expect(throws: StandardWebhooksError.timestampTooOld(timestamp: sent, now: sent + 360)) {
            try Self.verify(vector, now: sent + 360)
        }
        #expect(throws: StandardWebhooksError.timestampTooNew(timestamp: sent, now: sent - 360)) {
            try Self.verify(vector, now: sent - 360)
        }
        #expect(throws: StandardWebhooksError.timestampTooOld(timestamp: sent, now: sent + 301)) {
            try Self.verify(vector, now: sent + 301)
        }
    }

    @Test func toleranceIsConfigurable() throws {
        let vector = WebhookVector.make()
        let body = Array(vector.body.utf8)
        let strict = StandardWebhooks.Verifier(secret: try StandardWebhooks.Secret(vector.secret), tolerance: .seconds(10))
        try strict.verify(id: vector.id, timestamp: String(vector.timestamp), signature: vector.signature, body: body,
                          now: vector.timestamp + 10)
        #expect(throws: StandardWebhooksError.timestampTooOld(timestamp: vector.timestamp, now: vector.timestamp + 11)) {
            try strict.verify(id: vector.id, timestamp: String(vector.timestamp), signature: vector.signature, body: body,
                              now: vector.timestamp + 11)
        }
        let now = Date(timeIntervalSince1970: TimeInterval(vector.timestamp) - 11)
        #expect(throws: StandardWebhooksError.timestampTooNew(timestamp: vector.timestamp, now: vector.timestamp - 11)) {
            try strict.verify(id: vector.id, timestamp: String(vector.timestamp), signature: vector.signature, body: body,
                              now: now)
        }
    }

    @Test func timestampIsCheckedBeforeTheSignature() {
        let vector = WebhookVector.make()
        #expect(throws: StandardWebhooksError.timestampTooOld(timestamp: vector.timestamp, now: vector.timestamp + 3600)) {
            try Self.verify(vector, signature: "v1,AAAA", now: vector.timestamp + 3600)
        }
    }

    @Test(arguments: ["abc", "1614265330.5", "-1614265330", "+1614265330", " 1614265330", "1614265330 ",
                      "1e9", "99999999999999999999", "１６１４２６５３３０"])
    func invalidTimestamp(_ text: String) {
        #expect(throws: StandardWebhooksError.invalidTimestamp(text)) {
            try Self.verify(WebhookVector.make(), timestamp: text)
        }
    }

    @Test func farFutureTimestampDoesNotOverflow() {
        let vector = WebhookVector.make()
        #expect(throws: StandardWebhooksError.timestampTooNew(timestamp: Int64.max, now: vector.timestamp)) {
            try Self.verify(vector, timestamp: String(Int64.max))
        }
        #expect(throws: StandardWebhooksError.timestampTooOld(timestamp: 0, now: Int64.max)) {
            try Self.verify(vector, timestamp: "0", now: .max)
        }
    }

    // MARK: - Missing headers

    @Test func missingHeaders() throws {
        let vector = WebhookVector.make()
        let verifier = try Self.verifier(vector.secret)
        let body = Array(vector.body.utf8)
        let ts = String(vector.timestamp)
        let now = vector.timestamp
        #expect(throws: StandardWebhooksError.missingHeader("webhook-id")) {
            try verifier.verify(id: nil, timestamp: ts, signature: vector.signature, body: body, now: now)
        }
        #expect(throws: StandardWebhooksError.missingHeader("webhook-id")) {
            try verifier.verify(id: "", timestamp: ts, signature: vector.signature, body: body, now: now)
        }
        #expect(throws: StandardWebhooksError.missingHeader("webhook-timestamp")) {
            try verifier.verify(id: vector.id, timestamp: nil, signature: vector.signature, body: body, now: now)
        }
        #expect(throws: StandardWebhooksError.missingHeader("webhook-signature")) {
            try verifier.verify(id: vector.id, timestamp: ts, signature: nil, body: body, now: now)
        }
        #expect(throws: StandardWebhooksError.missingHeader("webhook-signature")) {
            try verifier.verify(headers: ["webhook-id": vector.id, "webhook-timestamp": ts, "svix-signature": vector.signature],
                                body: body, now: now)
        }
        #expect(throws: StandardWebhooksError.missingHeader("webhook-id")) {
            try verifier.verify(headers: [:], body: body, now: now)
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect("\(StandardWebhooksError.missingHeader("webhook-id"))" == "missing header webhook-id")
        #expect("\(StandardWebhooksError.timestampTooOld(timestamp: 1, now: 400))" == "webhook-timestamp 1 is too old (now 400)")
        #expect("\(StandardWebhooksError.noMatchingSignature)" == "no matching signature")
    }
}
