import Foundation
import Testing
@testable import HTTP

/// Router behaviour in memory: no sockets, requests built from literals.
@Suite struct RouterTests {
    static func request(_ method: String, _ target: String, headers: HTTPHeaders = ["Host": "t"], body: String = "") -> HTTPRequest {
        HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: headers), body: Array(body.utf8), id: "test-id")
    }

    static func respond(_ router: Router, _ request: HTTPRequest) async -> (Int, String, HTTPHeaders) {
        let response = await router.respond(to: request, context: RequestContext(requestID: request.id))
        return (response.status.code, String(decoding: response.bodyBytes ?? [], as: UTF8.self), response.headers)
    }

    @Test func matchesLiteralAndParameterRoutes() async {
        let router = testRouter()
        #expect(await Self.respond(router, Self.request("GET", "/hello")).1 == "hello")
        #expect(await Self.respond(router, Self.request("GET", "/path/wa-main")).1 == "wa-main")
        #expect(await Self.respond(router, Self.request("GET", "/path/caf%C3%A9%20x")).1 == "café x")
        #expect(await Self.respond(router, Self.request("GET", "/hello?x=1")).1 == "hello")
        #expect(await Self.respond(router, Self.request("GET", "http://example.com/hello")).1 == "hello")
    }

    @Test func unknownPathIs404WithJSON() async {
        let (status, body, headers) = await Self.respond(testRouter(), Self.request("GET", "/nope"))
        #expect(status == 404)
        #expect(headers["Content-Type"] == "application/json")
        let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]]
        #expect(json?["error"]?["code"] == "not_found")
    }

    @Test func wrongMethodIs405WithAllow() async {
        let (status, _, headers) = await Self.respond(testRouter(), Self.request("DELETE", "/hello"))
        #expect(status == 405)
        #expect(headers["Allow"] == "GET, HEAD")
        let (postStatus, _, postHeaders) = await Self.respond(testRouter(), Self.request("GET", "/echo"))
        #expect(postStatus == 405)
        #expect(postHeaders["Allow"] == "POST")
    }

    @Test func headUsesTheGetRoute() async {
        #expect(await Self.respond(testRouter(), Self.request("HEAD", "/hello")).0 == 200)
        #expect(await Self.respond(testRouter(), Self.request("HEAD", "/path/x")).0 == 200)
    }

    @Test func malformedPercentEncodingIs400() async {
        #expect(await Self.respond(testRouter(), Self.request("GET", "/path/%ZZ")).0 == 400)
        #expect(await Self.respond(testRouter(), Self.request("GET", "/path/%C3")).0 == 400)
    }

    @Test func thrownErrorsNeverLeakInternals() async {
        let (status, body, _) = await Self.respond(testRouter(), Self.request("GET", "/fail"))
        #expect(status == 500)
        #expect(!body.contains("Secret"))
        #expect(body.contains("test-id"))
    }

    @Test func bodyLimitIsPerRoute() {
        let router = testRouter()
        #expect(router.bodyLimit(for: HTTPRequestHead(method: "POST", target: "/small")) == 16)
        #expect(router.bodyLimit(for: HTTPRequestHead(method: "POST", target: "/echo")) == nil)
    }

    static let jsonCases: [(String, String, String, Int, String)] = [
        ("valid", "application/json", #"{"name":"a","count":2}"#, 200, #""count":2"#),
        ("charset param", "application/json; charset=utf-8", #"{"name":"a","count":2}"#, 200, #""name":"a""#),
        ("wrong type", "text/plain", #"{"name":"a","count":2}"#, 415, "unsupported_media_type"),
        ("no content type", "", #"{"name":"a","count":2}"#, 415, "unsupported_media_type"),
        ("malformed", "application/json", #"{"name":"a","#, 400, "malformed_json"),
        ("empty", "application/json", "", 400, "malformed_json"),
        ("missing field", "application/json", #"{"name":"a"}"#, 422, "missing field 'count'"),
        ("type mismatch", "application/json", #"{"name":"a","count":"two"}"#, 422, "field 'count' must be an integer"),
        ("null field", "application/json", #"{"name":null,"count":1}"#, 422, "field 'name' must be a string, not null"),
    ]

    @Test(arguments: jsonCases)
    func decodesJSONWithClearErrors(_ name: String, _ contentType: String, _ body: String, _ status: Int, _ fragment: String) async {
        var headers: HTTPHeaders = ["Host": "t"]
        if !contentType.isEmpty { headers.add(name: "Content-Type", value: contentType) }
        let (code, text, _) = await Self.respond(testRouter(), Self.request("POST", "/json", headers: headers, body: body))
        #expect(code == status, "\(name)")
        #expect(text.contains(fragment), "\(name): \(text)")
    }

    @Test func middlewareWrapsHandlersInOrder() async {
        struct Tag: HTTPMiddleware {
            let name: String
            func handle(_ request: HTTPRequest, context: RequestContext,
                        next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
                var response = try await next(request, context)
                response.headers.add(name: "X-Trace", value: name)
                return response
            }
        }
        var router = testRouter()
        router.add(middleware: Tag(name: "outer"))
        router.add(middleware: Tag(name: "inner"))
        let (_, _, headers) = await Self.respond(router, Self.request("GET", "/hello"))
        #expect(headers.values("X-Trace") == ["inner", "outer"])
    }

    @Test func queryParametersDecode() {
        let q = QueryParameters("a=1&b=two+words&c=%C3%A9&flag&a=2&bad=%zz")
        #expect(q["a"] == "1")
        #expect(q.values("a") == ["1", "2"])
        #expect(q["b"] == "two words")
        #expect(q["c"] == "é")
        #expect(q["flag"] == "")
        #expect(q["bad"] == "%zz")
        #expect(q["missing"] == nil)
    }

    @Test func responseHeadersCannotSplitTheResponse() {
        let response = HTTPResponse(status: .ok, headers: ["X-Evil": "a\r\nSet-Cookie: x=1", "Good": "yes", "Content-Length": "999"], body: [])
        let head = String(decoding: ResponseSerializer.head(response, bodyLength: 0, requestID: "r", keepAlive: true, date: "d"), as: UTF8.self)
        #expect(!head.contains("Set-Cookie"))
        #expect(head.contains("Good: yes\r\n"))
        #expect(head.contains("Content-Length: 0\r\n"))
        #expect(!head.contains("999"))
    }

    @Test func metricsRenderPrometheusText() {
        let metrics = HTTPServerMetrics()
        metrics.record(route: "/healthz", method: "GET", status: 200, seconds: 0.0003, loop: 0)
        metrics.record(route: "/healthz", method: "GET", status: 200, seconds: 0.02, loop: 1)
        metrics.recordParseError(status: 400, loop: 0)
        let text = metrics.render()
        #expect(text.contains(#"botbridge_http_requests_total{route="/healthz",method="GET",status="200"} 2"#))
        #expect(text.contains(#"botbridge_http_request_duration_seconds_bucket{route="/healthz",le="0.0005"} 1"#))
        #expect(text.contains(#"botbridge_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 2"#))
        #expect(text.contains(#"botbridge_http_rejected_requests_total{status="400"} 1"#))
        #expect(text.contains("# TYPE botbridge_http_open_connections gauge"))
        #expect(metrics.requestCount(route: "/healthz", status: 200) == 2)
        // Client-chosen methods cannot grow the label set.
        for i in 0..<50 { metrics.record(route: "/healthz", method: "X\(i)", status: 405, seconds: 0, loop: 0) }
        #expect(metrics.render().contains(#"botbridge_http_requests_total{route="/healthz",method="other",status="405"} 50"#))
    }
}
