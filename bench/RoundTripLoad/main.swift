// roundtrip-load: the whole bot bridge under load. It runs a local sink that is both the bot
// (answers each webhook synchronously in the generic adapter's shape, echoing the text) and
// Twilio's Messages API (records when each reply arrives), then sends signed Twilio WhatsApp
// webhooks to a running gateway and reports end-to-end messages per second and the latency from
// the gateway's acknowledgement of an inbound message to the provider's receipt of the bot's
// reply. Benchmark only; run by bench/roundtrip.sh.
import Foundation
import HTTP
import HTTPClient
import Signing
import Synchronization

struct Options {
    static let usage = """
        usage: roundtrip-load --gateway URL --sink-port P --public-url URL --token T --messages N
                              (--concurrency C | --rate R) [--users U] [--prefix P]
        """
    var gateway = ""
    var sinkPort = 0
    var publicURL = ""
    var token = ""
    var messages = 0
    var concurrency: Int?
    var rate: Int?
    var users = 2000
    var prefix = "rt"

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        while index + 1 < arguments.count {
            let (name, value) = (arguments[index], arguments[index + 1])
            switch name {
            case "--gateway": options.gateway = value
            case "--sink-port": options.sinkPort = Int(value) ?? 0
            case "--public-url": options.publicURL = value
            case "--token": options.token = value
            case "--messages": options.messages = Int(value) ?? 0
            case "--concurrency": options.concurrency = Int(value)
            case "--rate": options.rate = Int(value)
            case "--users": options.users = Int(value) ?? 0
            case "--prefix": options.prefix = value
            default: return nil
            }
            index += 2
        }
        guard index == arguments.count, !options.gateway.isEmpty, options.sinkPort > 0, !options.publicURL.isEmpty,
              !options.token.isEmpty, options.messages > 0, options.users > 0,
              (options.concurrency ?? 0 > 0) != (options.rate ?? 0 > 0) else { return nil }
        return options
    }
}

/// Times in nanoseconds since the start, by message number.
final class Timeline: Sendable {
    let start = ContinuousClock.now
    let acknowledged = Mutex<[Int: Int64]>([:])
    let received = Mutex<[Int: Int64]>([:])
    let botCalls = Atomic<Int>(0)
    /// The next message number a worker sends (closed-loop mode).
    let nextNumber = Atomic<Int>(0)
    let failures = Mutex<[String: Int]>([:])

    func now() -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}

/// The text of a form field, percent-decoded.
func formValue(_ name: String, in body: [UInt8]) -> String? {
    let text = String(decoding: body, as: UTF8.self)
    for pair in text.split(separator: "&") where pair.hasPrefix(name + "=") {
        return String(pair.dropFirst(name.count + 1)).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
    return nil
}

/// `rt 123` → 123.
func messageNumber(_ text: String) -> Int? {
    text.split(separator: " ").last.flatMap { Int($0) }
}

func startSink(port: Int, timeline: Timeline) throws -> HTTPServer {
    var router = Router()
    router.post("/bot") { request, _ in
        timeline.botCalls.add(1, ordering: .relaxed)
        let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
        let text = body?["text"] as? String ?? ""
        let answer = try JSONSerialization.data(withJSONObject: ["messages": [["text": "re: \(text)"]]])
        return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(answer))
    }
    router.post("/2010-04-01/Accounts/{account}/Messages.json") { request, _ in
        let at = timeline.now()
        if let number = formValue("Body", in: request.body).flatMap(messageNumber) {
            timeline.received.withLock { $0[number] = at }
        }
        return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_RT"}"#.utf8))
    }
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: port)
    configuration.eventLoopCount = 1
    configuration.maxConnections = 10_000
    let server = HTTPServer(configuration: configuration, responder: router)
    _ = try server.start()
    return server
}

func webhook(_ number: Int, options: Options) -> HTTPClientRequest {
    let user = number % options.users
    let form = [("AccountSid", "AC_BENCH_FAKE"), ("Body", "\(options.prefix) \(number)"), ("From", "whatsapp:+3461\(String(format: "%07d", user))"),
                ("MessageSid", "SM\(options.prefix)\(number)"), ("NumMedia", "0"), ("To", "whatsapp:+14155238886")]
    let data = options.publicURL + "/channels/wa/webhook" + form.map { $0.0 + $0.1 }.joined()
    let signature = Base64.encode(HMAC<SHA1>.authenticationCode(for: Array(data.utf8), key: Array(options.token.utf8)))
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    return HTTPClientRequest(method: "POST", url: options.gateway + "/channels/wa/webhook",
                             headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
                             body: Array(body.utf8))
}

func send(_ number: Int, options: Options, client: HTTPClient, timeline: Timeline) async {
    do {
        let answer = try await client.send(webhook(number, options: options))
        if answer.status == 200 {
            let at = timeline.now()
            timeline.acknowledged.withLock { $0[number] = at }
        } else {
            timeline.failures.withLock { $0["HTTP \(answer.status)", default: 0] += 1 }
        }
    } catch {
        timeline.failures.withLock { $0["\(error)", default: 0] += 1 }
    }
}

func percentile(_ sorted: [Int64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return Double(sorted[max(0, index)]) / 1_000_000
}

func run(_ options: Options) async throws -> Int32 {
    let timeline = Timeline()
    let sink = try startSink(port: options.sinkPort, timeline: timeline)
    let client = HTTPClient()
    let sendStart = timeline.now()
    if let concurrency = options.concurrency {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let number = timeline.nextNumber.add(1, ordering: .relaxed).oldValue
                        guard number < options.messages else { return }
                        await send(number, options: options, client: client, timeline: timeline)
                    }
                }
            }
        }
    } else if let rate = options.rate {
        await withTaskGroup(of: Void.self) { group in
            let begin = ContinuousClock.now
            for number in 0..<options.messages {
                let due = begin + .nanoseconds(Int64(number) * 1_000_000_000 / Int64(rate))
                if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
                group.addTask { await send(number, options: options, client: client, timeline: timeline) }
            }
        }
    }
    let sendEnd = timeline.now()
    let acknowledged = timeline.acknowledged.withLock { $0.count }
    // Wait for the replies to drain (up to 60 s after the last one arrived).
    var lastCount = -1
    var quietSince = ContinuousClock.now
    while true {
        let count = timeline.received.withLock { $0.count }
        if count >= acknowledged { break }
        if count != lastCount { lastCount = count; quietSince = ContinuousClock.now }
        if ContinuousClock.now - quietSince > .seconds(10) { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    let (acks, receipts) = (timeline.acknowledged.withLock { $0 }, timeline.received.withLock { $0 })
    var latencies: [Int64] = []
    for (number, ack) in acks { if let receipt = receipts[number] { latencies.append(receipt - ack) } }
    latencies.sort()
    let lastReceipt = receipts.values.max() ?? sendEnd
    let seconds = Double(lastReceipt - sendStart) / 1e9
    let sendSeconds = Double(sendEnd - sendStart) / 1e9
    print(String(format: "sent %d webhooks in %.2f s (%.0f acknowledged/s); %d acknowledged, %d bot calls, %d replies at the provider",
                 options.messages, sendSeconds, Double(acknowledged) / sendSeconds, acknowledged,
                 timeline.botCalls.load(ordering: .relaxed), receipts.count))
    print(String(format: "end to end: %.0f messages/s (first webhook sent to last reply received: %.2f s)", Double(receipts.count) / seconds, seconds))
    print(String(format: "ack -> provider receipt: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
                 percentile(latencies, 0.50), percentile(latencies, 0.90), percentile(latencies, 0.99), percentile(latencies, 1.0)))
    let failures = timeline.failures.withLock { $0 }
    if !failures.isEmpty { print("failures: \(failures)") }
    await client.shutdown()
    await sink.shutdown()
    return receipts.count == acknowledged && failures.isEmpty ? 0 : 1
}

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data((Options.usage + "\n").utf8))
    exit(64)
}
exit(try await run(options))
