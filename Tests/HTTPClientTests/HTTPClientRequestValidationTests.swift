import HTTPClient
import Testing

/// Requests refused before any network activity.
@Suite struct HTTPClientRequestValidationTests {
    private func sendError(_ request: HTTPClientRequest) async -> HTTPClientError? {
        let client = HTTPClient()
        let error: HTTPClientError?
        do {
            _ = try await client.send(request)
            error = nil
        } catch let thrown {
            error = thrown
        }
        await client.shutdown()
        return error
    }

    @Test(arguments: [
        ("file:///etc/passwd", "file"),
        ("ftp://example.com/file.txt", "ftp"),
        ("gopher://example.com/", "gopher"),
        ("FTP://example.com/", "ftp"),
    ])
    func nonHTTPSchemesAreRejected(url: String, scheme: String) async {
        #expect(await sendError(HTTPClientRequest(url: url)) == .unsupportedScheme(scheme))
    }

    @Test(arguments: ["not a url", "example.com/path", "http://", "", "http://exa mple.com/"])
    func malformedURLsAreRejected(url: String) async {
        #expect(await sendError(HTTPClientRequest(url: url)) == .invalidURL)
    }

    @Test func headerValueWithLineBreakIsRejected() async {
        let request = HTTPClientRequest(url: "http://127.0.0.1:9/", headers: [("X-Token", "abc\r\nX-Injected: 1")])
        let error = await sendError(request)
        guard case .invalidRequest(let reason) = error else {
            Issue.record("expected invalidRequest, got \(String(describing: error))")
            return
        }
        #expect(!reason.contains("abc"))
    }

    @Test(arguments: ["", "GE T", "GET\r\n"])
    func invalidMethodIsRejected(method: String) async {
        guard case .invalidRequest = await sendError(HTTPClientRequest(method: method, url: "http://127.0.0.1:9/")) else {
            Issue.record("expected invalidRequest")
            return
        }
    }
}
