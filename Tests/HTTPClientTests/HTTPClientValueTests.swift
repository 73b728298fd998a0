import HTTPClient
import Testing

/// Plain value behaviour: header lookup, error descriptions, configuration defaults.
@Suite struct HTTPClientValueTests {
    @Test func responseHeaderLookupIgnoresCase() {
        let response = HTTPClientResponse(status: 200, headers: [("Set-Cookie", "a=1"), ("content-type", "text/plain"), ("set-cookie", "b=2")])
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("SET-COOKIE") == "a=1")
        #expect(response.headers(named: "Set-Cookie") == ["a=1", "b=2"])
        #expect(response.header("X-Missing") == nil)
        #expect(response.isSuccess)
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let configuration = HTTPClientConfiguration()
        #expect(configuration.connectTimeout == .seconds(5))
        #expect(configuration.totalTimeout == .seconds(15))
        #expect(configuration.maxResponseBytes == 4 * 1024 * 1024)
        #expect(configuration.userAgent.hasPrefix("botbridge/"))
    }

    @Test(arguments: [
        (HTTPClientError.timeout, "request timed out"),
        (.connectionRefused, "connection refused"),
        (.dnsFailure(host: "x.invalid"), "could not resolve host 'x.invalid'"),
        (.responseTooLarge(limit: 10), "response larger than the 10-byte limit"),
        (.unsupportedScheme("ftp"), "unsupported URL scheme 'ftp' (only http and https are allowed)"),
        (.transport(code: 56, message: "Recv failure"), "transport error (curl 56): Recv failure"),
    ])
    func errorsDescribeThemselves(error: HTTPClientError, description: String) {
        #expect(error.description == description)
    }
}
