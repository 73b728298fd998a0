import Bridge
import HTTP
import Signing
import Testing

// Expected signatures are literals: the Twilio ones are twilio-python's own test vectors or were
// produced with twilio-python's RequestValidator; the Meta and Google ones with Python's hmac. No
// Python runs at test time. Every secret here is fake.

/// Fixtures shared by the verification suites.
enum WebhookFixture {
    /// A request with `headers`, `body` and `url`; the content type comes from the headers.
    static func make(url: String = "https://bot.example.test/hooks/x", headers: [(String, String)] = [],
                     body: String = "") -> WebhookVerification.Request {
        WebhookVerification.Request(body: Array(body.utf8), headers: HTTPHeaders(headers), url: url)
    }

    /// `pairs` as an `application/x-www-form-urlencoded` body, percent-encoding everything but
    /// unreserved characters.
    static func formBody(_ pairs: [(String, String)]) -> String {
        func encode(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                     UInt8(ascii: "_"), UInt8(ascii: "~"):
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                default:
                    out += "%" + Hex.encode([byte]).uppercased()
                }
            }
            return out
        }
        return pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// The error `verify` throws, or `nil` when it accepts.
    static func failure(_ scheme: WebhookVerification, _ request: WebhookVerification.Request,
                        secrets: [String], now: Int64 = 0) -> WebhookVerificationError? {
        do {
            try scheme.verify(request, secrets: secrets, now: now)
            return nil
        } catch {
            return error
        }
    }
}

// MARK: - Names

@Suite struct WebhookVerificationNameTests {
    @Test(arguments: [
        ("twilio-hmac-sha1", WebhookVerification.twilioHMACSHA1),
        ("meta-hub-sha256", .metaHubSHA256),
        ("google-hmac-sha512", .googleHMACSHA512),
        ("standard-webhooks", .standardWebhooks),
        ("none", .unsigned),
    ])
    func schemesAreSelectedByName(name: String, scheme: WebhookVerification) {
        #expect(WebhookVerification(name: name) == scheme)
        #expect(scheme.name == name)
    }

    @Test(arguments: ["", "ed25519-unknown", "Twilio-HMAC-SHA1", "meta-hub-sha1"])
    func unknownNamesAreRefused(name: String) {
        #expect(WebhookVerification(name: name) == nil)
    }

    @Test(arguments: [
        (WebhookVerification.unsigned, "webchat", true),
        (.unsigned, "twilio", false),
        (.unsigned, "generic", false),
        (.unsigned, "WebChat", false),
        (.metaHubSHA256, "whatsapp-cloud", true),
        (.standardWebhooks, "webchat", true),
    ])
    func noneIsOnlyForTheBuiltInWebChat(scheme: WebhookVerification, adapter: String, allowed: Bool) {
        #expect(scheme.isAllowed(forAdapter: adapter) == allowed)
    }

    @Test func noneAcceptsAnything() {
        #expect(WebhookFixture.failure(.unsigned, WebhookFixture.make(body: "anything"), secrets: []) == nil)
    }

    @Test func handshakeIsSelectedByName() {
        #expect(WebhookHandshake(name: "meta-hub-challenge") == .metaHubChallenge)
        #expect(WebhookHandshake(name: "hub-challenge") == nil)
    }
}

// MARK: - Twilio

@Suite struct TwilioVerificationTests {
    static let token = "12345"
    static let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let urlWithPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    /// twilio-python's test parameters.
    static let parameters = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
        ("From", "+14158675309"), ("To", "+18005551212"),
    ]
    static let form = [("Content-Type", "application/x-www-form-urlencoded")]

    static func request(url: String = url, parameters: [(String, String)] = parameters, signature: String?,
                        contentType: String = "application/x-www-form-urlencoded") -> WebhookVerification.Request {
        var headers = [("Content-Type", contentType)]
        if let signature { headers.append(("X-Twilio-Signature", signature)) }
        return WebhookFixture.make(url: url, headers: headers, body: WebhookFixture.formBody(parameters))
    }

    @Test(arguments: [
        // Signed over the URL without a port; also accepted when the URL arrives with `:443`.
        (url, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (urlWithPort, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        // Signed over the URL with `:443`; also accepted when the URL arrives without it.
        (urlWithPort, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        (url, "kvajT1Ptam85bY51eRf/AJRuM3w="),
    ])
    func officialFormVectorsVerifyWithAndWithoutTheDefaultPort(url: String, signature: String) {
        #expect(WebhookFixture.failure(.twilioHMACSHA1, Self.request(url: url, signature: signature), secrets: [Self.token]) == nil)
    }

    @Test func parameterOrderOnTheWireDoesNotMatter() {
        let request = Self.request(parameters: Self.parameters.reversed(), signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [Self.token]) == nil)
    }

    @Test func contentTypeParametersAndCaseAreIgnored() {
        let request = Self.request(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                                   contentType: "Application/X-WWW-Form-Urlencoded; charset=UTF-8")
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [Self.token]) == nil)
    }

    @Test(arguments: [
        // Values of a repeated name sorted by byte ("Mike" before "alpha").
        ([("Body", "zeta"), ("To", "+18005551212"), ("Body", "alpha"), ("From", "+14158675309"),
          ("Body", "Mike"), ("MediaUrl0", "https://api.twilio.com/x")], "33m8UoXlcnuUABn7uaoXgas0m1c="),
        // Identical repeated pairs count once, as in twilio-python and twilio-node.
        ([("Body", "b"), ("Body", "a"), ("Body", "b")], "iD3RCGTxPNuCqY1s7cBe6oWG8f0="),
        // Code point order, names and values: "E" < "z" < "é" < "ｚ", "Body" < "body" < "Émoji".
        ([("Body", "é"), ("Body", "z"), ("Body", "E"), ("Body", "ｚ"), ("body", "x"), ("Émoji", "😀")],
         "8GoxFZICqhPIsLtwhcg3t9ZBxts="),
        // Canonically equivalent spellings are different bytes: both kept, sorted by bytes.
        ([("Body", "e\u{301}"), ("Body", "\u{e9}"), ("Body", "f")], "VFRs24n9uVbK8wDB6NRMMYj0jfU="),
    ])
    func repeatedParametersAreSortedByValue(parameters: [(String, String)], signature: String) {
        let request = Self.request(parameters: parameters, signature: signature)
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [Self.token]) == nil)
    }

    @Test func jsonBodyIsCoveredThroughBodySHA256() {
        let body = #"{"property": "value", "boolean": true}"#
        #expect(Hex.encode(SHA256.hash(body)) == "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620")
        let url = Self.url + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        let urlWithPort = Self.urlWithPort + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        for url in [url, urlWithPort] {
            let request = WebhookFixture.make(url: url, headers: [
                ("Content-Type", "application/json"), ("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4="),
            ], body: body)
            #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [Self.token]) == nil)
        }
    }

    @Test(arguments: [
        // One byte of the body changed: the hash no longer matches the signed URL.
        (Self.url + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
         #"{"property": "value", "boolean": false}"#),
        // No bodySHA256: nothing would cover the body.
        (Self.url, #"{"property": "value", "boolean": true}"#),
    ])
    func jsonBodyNotCoveredIsRefused(url: String, body: String) {
        let request = WebhookFixture.make(url: url, headers: [
            ("Content-Type", "application/json"), ("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4="),
        ], body: body)
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [Self.token])
            == .signatureMismatch(header: "X-Twilio-Signature"))
    }

    @Test func aRotatedTokenStillVerifies() {
        let request = Self.request(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: ["fake-new-token", Self.token]) == nil)
    }

    @Test(arguments: [
        // Wrong token.
        (url, parameters, "fake-wrong-token"),
        // A tampered parameter.
        (url, [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "9999"),
               ("From", "+14158675309"), ("To", "+18005551212")], token),
        // A parameter added.
        (url, parameters + [("Extra", "1")], token),
        // A different query.
        ("https://mycompany.com/myapp.php?foo=1&bar=3", parameters, token),
        // A non-default port is part of the URL, never dropped.
        ("https://mycompany.com:8443/myapp.php?foo=1&bar=2", parameters, token),
        // The default port of the other scheme is not the default one.
        ("http://mycompany.com:443/myapp.php?foo=1&bar=2", parameters, token),
    ])
    func mismatches(url: String, parameters: [(String, String)], token: String) {
        let request = Self.request(url: url, parameters: parameters, signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [token])
            == .signatureMismatch(header: "X-Twilio-Signature"))
    }

    @Test func missingHeader() {
        #expect(WebhookFixture.failure(.twilioHMACSHA1, Self.request(signature: nil), secrets: [Self.token])
            == .signatureMissing(header: "X-Twilio-Signature"))
    }

    @Test(arguments: ["not base64!", "RSOYDt4T1cUTdK1PDd93/VVr8B8", "AAAA", "RSOYDt4T1cUTdK1PDd93/VVr8B8=RSOY"])
    func malformedHeader(signature: String) {
        #expect(WebhookFixture.failure(.twilioHMACSHA1, Self.request(signature: signature), secrets: [Self.token])
            == .signatureMalformed(header: "X-Twilio-Signature"))
    }

    @Test(arguments: [[String](), [""]])
    func missingSecretIsAConfigurationError(secrets: [String]) {
        #expect(WebhookFixture.failure(.twilioHMACSHA1, Self.request(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8="), secrets: secrets)
            == .secretMissing(scheme: "twilio-hmac-sha1"))
    }
}

// MARK: - Meta

@Suite struct MetaVerificationTests {
    static let secret = "fake-meta-app-secret"
    /// As Meta sends it: non-ASCII escaped as `\uXXXX` in the raw bytes.
    static let body = #"{"entry":[{"changes":[{"value":{"messages":[{"text":{"body":"caf\u00e9 \ud83d\ude00"}}]}}]}]}"#
    /// The same JSON re-serialised with the characters unescaped.
    static let reserialised = #"{"entry":[{"changes":[{"value":{"messages":[{"text":{"body":"café 😀"}}]}}]}]}"#
    static let signature = "b1f17bd8dd802245f1426e811fee9308f6ffefc75d4f141e39241f4f52586ebb"

    static func request(body: String = body, signature: String?) -> WebhookVerification.Request {
        WebhookFixture.make(headers: signature.map { [("X-Hub-Signature-256", $0)] } ?? [], body: body)
    }

    @Test(arguments: ["sha256=" + signature, "sha256=" + signature.uppercased()])
    func rawBytesVerifyInEitherHexCase(header: String) {
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(signature: header), secrets: [Self.secret]) == nil)
    }

    @Test func aRotatedSecretStillVerifies() {
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(signature: "sha256=" + Self.signature),
                                       secrets: ["fake-next-secret", Self.secret]) == nil)
    }

    @Test func aReserialisedBodyIsRefused() {
        // Signed by the same secret, but the raw bytes differ from what was signed.
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(body: Self.reserialised, signature: "sha256=" + Self.signature),
                                       secrets: [Self.secret]) == .signatureMismatch(header: "X-Hub-Signature-256"))
        // Its own signature would be this one: the two bodies really are different messages to sign.
        let own = "sha256=eb7ea78c53857d7eb4cf768e4f0b9770334fb37a5ef4a4b75bf56c41bf37388f"
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(body: Self.reserialised, signature: own),
                                       secrets: [Self.secret]) == nil)
    }

    @Test func wrongSecretIsAMismatch() {
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(signature: "sha256=" + Self.signature),
                                       secrets: ["fake-other-secret"]) == .signatureMismatch(header: "X-Hub-Signature-256"))
    }

    @Test(arguments: [
        "sha1=" + signature,
        "sha1=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "SHA256=" + signature,
        signature,
        "sha256=" + signature.dropLast(2),
        "sha256=" + signature + "00",
        "sha256=" + signature.dropLast() + "g",
        "sha256=",
    ])
    func malformedHeader(header: String) {
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(signature: header), secrets: [Self.secret])
            == .signatureMalformed(header: "X-Hub-Signature-256"))
    }

    @Test func missingHeader() {
        // The legacy SHA-1 header alone is not enough.
        let request = WebhookFixture.make(headers: [("X-Hub-Signature", "sha1=2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")], body: Self.body)
        #expect(WebhookFixture.failure(.metaHubSHA256, request, secrets: [Self.secret])
            == .signatureMissing(header: "X-Hub-Signature-256"))
    }

    @Test func missingSecret() {
        #expect(WebhookFixture.failure(.metaHubSHA256, Self.request(signature: "sha256=" + Self.signature), secrets: [])
            == .secretMissing(scheme: "meta-hub-sha256"))
    }
}

// MARK: - Google

@Suite struct GoogleVerificationTests {
    static let secret = "fake-google-client-token"
    static let body = #"{"requestId":"fake-request-1","message":{"text":"Hello"},"agent":"brands/fake/agents/fake"}"#
    static let signature = "130cZUFh9lBcltLXXr3Lx9gbnx1UiR1RFvaHG/VrIEIqlcnHwL9U1zM7TBSr4kTaHDuiYwBqbR4DNnfUh+Yosw=="

    static func request(body: String = body, signature: String?) -> WebhookVerification.Request {
        WebhookFixture.make(headers: signature.map { [("x-goog-signature", $0)] } ?? [], body: body)
    }

    @Test func verifies() {
        #expect(WebhookFixture.failure(.googleHMACSHA512, Self.request(signature: Self.signature), secrets: [Self.secret]) == nil)
    }

    @Test(arguments: [
        (#"{"requestId":"fake-request-1","message":{"text":"Hellp"},"agent":"brands/fake/agents/fake"}"#, secret),
        (body, "fake-other-token"),
    ])
    func mismatches(body: String, secret: String) {
        #expect(WebhookFixture.failure(.googleHMACSHA512, Self.request(body: body, signature: Self.signature), secrets: [secret])
            == .signatureMismatch(header: "X-Goog-Signature"))
    }

    @Test(arguments: [String(signature.dropLast(2)), "not base64", Base64.encode(SHA256.hash("x")), Hex.encode(SHA512.hash("x"))])
    func malformedHeader(signature: String) {
        #expect(WebhookFixture.failure(.googleHMACSHA512, Self.request(signature: signature), secrets: [Self.secret])
            == .signatureMalformed(header: "X-Goog-Signature"))
    }

    @Test func missingHeader() {
        #expect(WebhookFixture.failure(.googleHMACSHA512, Self.request(signature: nil), secrets: [Self.secret])
            == .signatureMissing(header: "X-Goog-Signature"))
    }
}

// MARK: - Standard Webhooks

@Suite struct StandardWebhooksVerificationTests {
    // The specification's published example.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = #"{"test": 2432232314}"#
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    static func request(id: String? = id, timestamp: String? = String(timestamp), signature: String? = signature,
                        body: String = body) -> WebhookVerification.Request {
        var headers: [(String, String)] = []
        if let id { headers.append(("Webhook-Id", id)) }
        if let timestamp { headers.append(("Webhook-Timestamp", timestamp)) }
        if let signature { headers.append(("Webhook-Signature", signature)) }
        return WebhookFixture.make(headers: headers, body: body)
    }

    @Test(arguments: [timestamp, timestamp + 300, timestamp - 300])
    func publishedVectorVerifiesWithinFiveMinutes(now: Int64) {
        #expect(WebhookFixture.failure(.standardWebhooks, Self.request(), secrets: [Self.secret], now: now) == nil)
    }

    @Test func rotationAndSeveralSignatures() {
        let other = "whsec_" + Base64.encode(Array("fake-other-key-0123456789".utf8))
        #expect(WebhookFixture.failure(.standardWebhooks, Self.request(), secrets: [other, Self.secret], now: Self.timestamp) == nil)
        let request = Self.request(signature: "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + Self.signature)
        #expect(WebhookFixture.failure(.standardWebhooks, request, secrets: [Self.secret], now: Self.timestamp) == nil)
    }

    @Test(arguments: [timestamp + 301, timestamp - 301])
    func outsideTheToleranceIsUnauthorized(now: Int64) {
        let error = WebhookFixture.failure(.standardWebhooks, Self.request(), secrets: [Self.secret], now: now)
        #expect(error == .timestampOutOfTolerance(header: "webhook-timestamp"))
        #expect(error?.status == .unauthorized)
    }

    @Test(arguments: [
        (request(id: nil), WebhookVerificationError.signatureMissing(header: "webhook-id")),
        (request(timestamp: nil), .signatureMissing(header: "webhook-timestamp")),
        (request(signature: nil), .signatureMissing(header: "webhook-signature")),
        (request(timestamp: "1614265330.0"), .signatureMalformed(header: "webhook-timestamp")),
        (request(body: #"{"test": 2432232315}"#), .signatureMismatch(header: "webhook-signature")),
        (request(id: "msg_other"), .signatureMismatch(header: "webhook-signature")),
        (request(signature: "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), .signatureMismatch(header: "webhook-signature")),
    ])
    func failures(request: WebhookVerification.Request, expected: WebhookVerificationError) {
        #expect(WebhookFixture.failure(.standardWebhooks, request, secrets: [Self.secret], now: Self.timestamp) == expected)
    }

    @Test(arguments: [
        ([String](), WebhookVerificationError.secretMissing(scheme: "standard-webhooks")),
        (["whsec_not base64!"], .secretInvalid(scheme: "standard-webhooks")),
        ([secret, "whsec_"], .secretInvalid(scheme: "standard-webhooks")),
    ])
    func configurationErrors(secrets: [String], expected: WebhookVerificationError) {
        #expect(WebhookFixture.failure(.standardWebhooks, Self.request(), secrets: secrets, now: Self.timestamp) == expected)
        #expect(throws: expected) { try WebhookVerification.standardWebhooks.validateConfiguration(secrets: secrets) }
    }
}

// MARK: - Meta handshake

@Suite struct MetaHandshakeTests {
    static let token = "fake-verify-token"

    static func answer(_ query: String, tokens: [String] = [token]) -> Result<String, WebhookVerificationError> {
        Result { () throws(WebhookVerificationError) in
            try WebhookHandshake.metaHubChallenge.challengeResponse(query: QueryParameters(query), verifyTokens: tokens)
        }
    }

    @Test func rightTokenAnswersTheChallenge() {
        #expect(Self.answer("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=fake-verify-token") == .success("1158201444"))
        #expect(Self.answer("hub.verify_token=fake-verify-token&hub.challenge=1158201444&hub.mode=subscribe",
                            tokens: ["fake-old-token", Self.token]) == .success("1158201444"))
    }

    @Test(arguments: [
        // Wrong token, or one that is a prefix or an extension of the right one.
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=fake-wrong-token",
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=fake-verify",
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=fake-verify-token2",
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=",
        "hub.mode=subscribe&hub.challenge=1158201444",
        // Missing or other mode.
        "hub.challenge=1158201444&hub.verify_token=fake-verify-token",
        "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=fake-verify-token",
        // Nothing to answer with.
        "hub.mode=subscribe&hub.verify_token=fake-verify-token",
        "hub.mode=subscribe&hub.challenge=&hub.verify_token=fake-verify-token",
    ])
    func otherwiseForbidden(query: String) {
        let result = Self.answer(query)
        #expect(result == .failure(.handshakeRejected))
        if case .failure(let error) = result {
            #expect(error.status == .forbidden)
            #expect(error.code == "handshake_rejected")
        }
    }

    @Test func unconfiguredTokenIsAConfigurationError() {
        #expect(Self.answer("hub.mode=subscribe&hub.challenge=1&hub.verify_token=", tokens: [""])
            == .failure(.secretMissing(scheme: "meta-hub-challenge")))
    }
}

// MARK: - Errors and URLs

@Suite struct WebhookVerificationErrorTests {
    @Test(arguments: [
        (WebhookVerificationError.signatureMissing(header: "X-Twilio-Signature"), 401, "signature_missing"),
        (.signatureMalformed(header: "X-Hub-Signature-256"), 401, "signature_malformed"),
        (.signatureMismatch(header: "X-Goog-Signature"), 403, "signature_invalid"),
        (.timestampOutOfTolerance(header: "webhook-timestamp"), 401, "timestamp_out_of_tolerance"),
        (.secretMissing(scheme: "meta-hub-sha256"), 500, "verification_not_configured"),
        (.secretInvalid(scheme: "standard-webhooks"), 500, "verification_not_configured"),
        (.handshakeRejected, 403, "handshake_rejected"),
    ])
    func mapsToHTTPErrors(error: WebhookVerificationError, status: Int, code: String) {
        #expect(error.httpError.status.code == status)
        #expect(error.httpError.code == code)
        #expect(error.response.status.code == status)
        let body = String(decoding: error.response.bodyBytes ?? [], as: UTF8.self)
        #expect(body.contains(#""code":"\#(code)""#))
    }

    @Test func messagesNeverCarrySecretsOrSignatures() {
        let secret = "fake-meta-app-secret"
        let request = MetaVerificationTests.request(signature: "sha256=" + String(repeating: "ab", count: 32))
        let expected = "b1f17bd8dd802245f1426e811fee9308f6ffefc75d4f141e39241f4f52586ebb"
        guard let error = WebhookFixture.failure(.metaHubSHA256, request, secrets: [secret]) else {
            Issue.record("a wrong signature verified")
            return
        }
        for text in [error.description, error.httpError.message, String(decoding: error.response.bodyBytes ?? [], as: UTF8.self)] {
            #expect(!text.contains(secret))
            #expect(!text.contains(expected))
            #expect(!text.contains(String(repeating: "ab", count: 32)))
        }
        let configuration = WebhookVerificationError.secretMissing(scheme: "meta-hub-sha256")
        #expect(configuration.httpError.message == "webhook verification is not configured")
    }

    @Test(arguments: [
        ("https://bot.example.test", "/hooks/twilio?foo=1", "https://bot.example.test/hooks/twilio?foo=1"),
        ("https://bot.example.test/", "/hooks/twilio", "https://bot.example.test/hooks/twilio"),
        ("https://example.test/bridge/", "/hooks/x?a=b", "https://example.test/bridge/hooks/x?a=b"),
        ("https://bot.example.test:8443", "http://127.0.0.1:8080/hooks/x?q=1", "https://bot.example.test:8443/hooks/x?q=1"),
        ("https://bot.example.test", "http://127.0.0.1:8080?q=1", "https://bot.example.test/?q=1"),
    ])
    func publicURLJoinsBaseAndTarget(base: String, target: String, expected: String) {
        #expect(WebhookVerification.Request.publicURL(base: base, target: target) == expected)
    }

    @Test func requestFromAnHTTPRequest() {
        let head = HTTPRequestHead(method: "POST", target: "/myapp.php?foo=1&bar=2", headers: [
            "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        ])
        let http = HTTPRequest(head: head, body: Array(WebhookFixture.formBody(TwilioVerificationTests.parameters).utf8))
        let request = WebhookVerification.Request(http, publicBaseURL: "https://mycompany.com")
        #expect(request.url == TwilioVerificationTests.url)
        #expect(request.contentType == "application/x-www-form-urlencoded")
        #expect(WebhookFixture.failure(.twilioHMACSHA1, request, secrets: [TwilioVerificationTests.token]) == nil)
    }
}
