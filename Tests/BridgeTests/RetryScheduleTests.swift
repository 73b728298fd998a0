import Bridge
import HTTPClient
import Testing

@Suite struct RetryScheduleTests {
    @Test(arguments: [
        (1, 5.0), (2, 300.0), (3, 1800.0), (4, 7200.0), (5, 18000.0), (6, 36000.0), (7, 36000.0),
    ])
    func standardScheduleWithoutJitter(failedAttempts: Int, seconds: Double) {
        #expect(RetrySchedule.standard.delay(afterFailedAttempts: failedAttempts, random: 0) == .seconds(seconds))
    }

    @Test func deadAfterTheEighthAttempt() {
        #expect(RetrySchedule.standard.maxAttempts == 8)
        #expect(RetrySchedule.standard.delay(afterFailedAttempts: 8, random: 0) == nil)
        #expect(RetrySchedule.standard.delay(afterFailedAttempts: 0, random: 0) == nil)
    }

    @Test(arguments: [(-1.0, 4.5), (1.0, 5.5), (0.5, 5.25), (-7.0, 4.5), (9.0, 5.5)])
    func jitterStaysWithinTenPercent(random: Double, seconds: Double) {
        #expect(RetrySchedule.standard.delay(afterFailedAttempts: 1, random: random) == .seconds(seconds))
    }

    @Test func customSchedule() {
        let schedule = RetrySchedule(delays: [.milliseconds(100)], jitter: 0)
        #expect(schedule.maxAttempts == 2)
        #expect(schedule.delay(afterFailedAttempts: 1, random: 1) == .milliseconds(100))
        #expect(schedule.delay(afterFailedAttempts: 2, random: 1) == nil)
    }
}

@Suite struct RetryAfterTests {
    static let now: Int64 = 784_111_777_000 // Sun, 06 Nov 1994 08:49:37 GMT

    @Test(arguments: [
        ("120", Duration.seconds(120)),
        (" 0 ", Duration.zero),
        ("Sun, 06 Nov 1994 08:50:37 GMT", Duration.seconds(60)),
        ("Sunday, 06-Nov-94 08:49:47 GMT", Duration.seconds(10)),
        ("Sun Nov  6 08:49:57 1994", Duration.seconds(20)),
        ("Sun, 06 Nov 1994 08:00:00 GMT", Duration.zero),
        ("99999999", RetryAfter.cap),
        ("99999999999999999999999", RetryAfter.cap),
    ])
    func parses(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, now: Self.now) == expected)
    }

    @Test(arguments: ["", "soon", "-5", "1.5", "Sun, 06 Nov 1994"])
    func ignoresUnreadableValues(value: String) {
        #expect(RetryAfter.parse(value, now: Self.now) == nil)
    }
}

@Suite struct DeliveryOutcomeTests {
    static func classify(_ status: Int, _ headers: [(name: String, value: String)] = []) -> DeliveryOutcome {
        DeliveryOutcome.classify(.success(HTTPClientResponse(status: status, headers: headers)), now: 0)
    }

    @Test func twoHundredsAreDelivered() {
        #expect(Self.classify(200) == .delivered(status: 200))
        #expect(Self.classify(204) == .delivered(status: 204))
    }

    @Test func redirectsAreFailuresNotFollowed() {
        #expect(Self.classify(302, [("Location", "http://elsewhere/")])
            == .retry(status: 302, error: "HTTP 302: redirect to http://elsewhere/ not followed", retryAfter: nil))
    }

    @Test func goneStops() { #expect(Self.classify(410) == .gone) }

    @Test func retryAfterIsHonouredOn429And503Only() {
        #expect(Self.classify(429, [("Retry-After", "30")]) == .retry(status: 429, error: "HTTP 429", retryAfter: .seconds(30)))
        #expect(Self.classify(503, [("retry-after", "7")]) == .retry(status: 503, error: "HTTP 503", retryAfter: .seconds(7)))
        #expect(Self.classify(500, [("Retry-After", "30")]) == .retry(status: 500, error: "HTTP 500", retryAfter: nil))
    }

    @Test func transportErrors() {
        #expect(DeliveryOutcome.classify(.failure(.timeout), now: 0) == .retry(status: nil, error: "request timed out", retryAfter: nil))
        #expect(DeliveryOutcome.classify(.failure(.unsupportedScheme("file")), now: 0)
            == .permanentFailure(error: HTTPClientError.unsupportedScheme("file").description))
    }
}
