import Foundation
import Testing
@testable import Logging

@Suite struct LoggerTests {
    @Test func levelsFilterAndMessagesAreLazy() {
        let sink = CapturingLogSink()
        let logger = Logger(label: "t", level: .info, sink: sink)
        var evaluated = false
        logger.debug({ evaluated = true; return "hidden" }())
        logger.info("shown")
        logger.error("bad")
        #expect(!evaluated)
        #expect(sink.events.map(\.message) == ["shown", "bad"])
        #expect(sink.events.map(\.level) == [.info, .error])
    }

    @Test func requestIDIsOnEveryLineOfARequest() {
        let sink = CapturingLogSink()
        var logger = Logger(label: "http", level: .trace, sink: sink)
        logger[metadataKey: "request_id"] = "req-1"
        logger.info("one")
        logger.warning("two", [("status", "503")])
        #expect(sink.lines().allSatisfy { $0.contains("request_id=req-1") })
        #expect(sink.lines()[1].contains("status=503"))
    }

    @Test func logfmtQuotesAndJSONEscapes() {
        let event = LogEvent(timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "t",
                             message: "said \"hi\"\nthere", metadata: [("path", "/a b")])
        let logfmt = LogFormatter.format(event, as: .logfmt)
        #expect(logfmt == #"ts=1970-01-01T00:00:00.000Z level=info logger=t msg="said \"hi\"\nthere" path="/a b""#)
        let json = LogFormatter.format(event, as: .json)
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(object?["msg"] == "said \"hi\"\nthere")
        #expect(object?["path"] == "/a b")
        #expect(!json.contains("\n"))
    }

    @Test(arguments: ["authorization", "api_key", "signing_secret", "X-Auth-Token", "password", "webhook-signature"])
    func secretsAreNeverWritten(_ key: String) {
        let sink = CapturingLogSink()
        let logger = Logger(label: "t", sink: sink)
        logger.info("call", [(key, "sk_test_FAKE_0000")])
        for format in LogFormat.allCases {
            let line = sink.lines(format: format)[0]
            #expect(!line.contains("sk_test_FAKE_0000"))
            #expect(line.contains("[redacted]"))
        }
    }

    @Test func levelNamesParse() {
        #expect(LogLevel(name: "WARN") == .warning)
        #expect(LogLevel(name: "trace") == .trace)
        #expect(LogLevel(name: "loud") == nil)
    }

    @Test func streamSinkWritesWholeLines() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let sink = StreamLogSink(fileDescriptor: fds[1], format: .json)
        let logger = Logger(label: "t", sink: sink)
        logger.info("hello")
        close(fds[1])
        let data = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains(#""msg":"hello""#))
    }
}

@Suite struct JSONStringTests {
    @Test(arguments: ["plain", "quote \" and \\ backslash", "line\nbreak\ttab\r", "nul \u{0} bel \u{7}", "emoji 🙂 and RTL שלום", "\u{2028}\u{2029}"])
    func quotedTextRoundTrips(_ text: String) throws {
        let literal = JSONString.quote(text)
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
        #expect(decoded == [text])
        #expect(!literal.unicodeScalars.contains { $0.value < 0x20 })
    }
}
