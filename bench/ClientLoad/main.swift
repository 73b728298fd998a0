// client-load: sends N POSTs through one HTTPClient with C concurrent tasks and reports
// throughput, p50/p99 latency and failures. Benchmark only; run by bench/client.sh.
import Foundation
import HTTPClient
import Synchronization

// MARK: - Options

/// The command line: `--url URL --requests N --concurrency C [--body-bytes B]`.
struct LoadOptions {
    static let usage = "usage: client-load --url URL --requests N --concurrency C [--body-bytes B]"

    var url: String
    var requests: Int
    var concurrency: Int
    var bodyBytes = 1024

    /// Parses `arguments` (without the program name); nil means help was asked for.
    static func parse(_ arguments: [String]) -> Result<LoadOptions, UsageMistake>? {
        if arguments.contains(where: { $0 == "--help" || $0 == "-h" }) { return nil }
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            guard ["--url", "--requests", "--concurrency", "--body-bytes"].contains(name) else {
                return .failure(UsageMistake("unknown argument '\(name)'"))
            }
            guard index + 1 < arguments.count else { return .failure(UsageMistake("\(name) needs a value")) }
            values[name] = arguments[index + 1]
            index += 2
        }
        func count(_ name: String, atLeast minimum: Int) -> Int? {
            values[name].flatMap { Int($0) }.flatMap { $0 >= minimum ? $0 : nil }
        }
        guard let url = values["--url"] else { return .failure(UsageMistake("--url is required")) }
        guard let requests = count("--requests", atLeast: 1) else { return .failure(UsageMistake("--requests needs an integer >= 1")) }
        guard let concurrency = count("--concurrency", atLeast: 1) else {
            return .failure(UsageMistake("--concurrency needs an integer >= 1"))
        }
        var options = LoadOptions(url: url, requests: requests, concurrency: concurrency)
        if values["--body-bytes"] != nil {
            guard let bodyBytes = count("--body-bytes", atLeast: 0) else {
                return .failure(UsageMistake("--body-bytes needs an integer >= 0"))
            }
            options.bodyBytes = bodyBytes
        }
        return .success(options)
    }
}

/// A usage mistake on the command line: printed with the usage line, exit status 64.
struct UsageMistake: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

// MARK: - Load

/// What one worker task saw: each successful request's latency, and failures counted by reason.
struct WorkerTally: Sendable {
    var latencies: [Duration] = []
    var failures: [String: Int] = [:]

    mutating func merge(_ other: WorkerTally) {
        latencies += other.latencies
        failures.merge(other.failures, uniquingKeysWith: +)
    }
}

/// A JSON body shaped like an inbound webhook, padded to exactly `byteCount` bytes when that is long enough.
func webhookBody(byteCount: Int) -> [UInt8] {
    let prefix = #"{"from":"+15555550100","to":"+15555550199","body":""#
    let suffix = #""}"#
    let padding = max(0, byteCount - prefix.utf8.count - suffix.utf8.count)
    return Array((prefix + String(repeating: "x", count: padding) + suffix).utf8)
}

/// Sends requests until `nextIndex` passes `total`, one at a time.
func runWorker(client: HTTPClient, request: HTTPClientRequest, nextIndex: borrowing Atomic<Int>, total: Int) async -> WorkerTally {
    var tally = WorkerTally()
    let clock = ContinuousClock()
    while nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue < total {
        let start = clock.now
        do {
            let response = try await client.send(request)
            if response.isSuccess {
                tally.latencies.append(clock.now - start)
            } else {
                tally.failures["HTTP \(response.status)", default: 0] += 1
            }
        } catch {
            tally.failures[error.description, default: 0] += 1
        }
    }
    return tally
}

/// The value at quantile `q` (0...1) of sorted `values`, by nearest rank.
func percentile(_ sorted: [Duration], _ q: Double) -> Duration {
    guard !sorted.isEmpty else { return .zero }
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(sorted.count, max(1, rank)) - 1]
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) * 1e-15 }
}

// MARK: - Main

let options: LoadOptions
switch LoadOptions.parse(Array(CommandLine.arguments.dropFirst())) {
case .success(let parsed)?:
    options = parsed
case nil:
    print(LoadOptions.usage)
    exit(0)
case .failure(let mistake)?:
    FileHandle.standardError.write(Data("client-load: \(mistake.message)\n\(LoadOptions.usage)\n".utf8))
    exit(64)
}

let client = HTTPClient(configuration: HTTPClientConfiguration(
    maxConnectionsPerHost: options.concurrency,
    maxCachedConnections: max(options.concurrency, HTTPClientConfiguration().maxCachedConnections),
    maxIdleHandles: max(options.concurrency, HTTPClientConfiguration().maxIdleHandles)
))
let request = HTTPClientRequest(method: "POST", url: options.url, headers: [("Content-Type", "application/json")],
                                body: webhookBody(byteCount: options.bodyBytes))
let nextIndex = Atomic(0)
let started = ContinuousClock.now
var tally = WorkerTally()
await withTaskGroup(of: WorkerTally.self) { group in
    for _ in 0..<min(options.concurrency, options.requests) {
        group.addTask { await runWorker(client: client, request: request, nextIndex: nextIndex, total: options.requests) }
    }
    for await workerTally in group { tally.merge(workerTally) }
}
let elapsed = ContinuousClock.now - started
await client.shutdown()

let latencies = tally.latencies.sorted()
let failed = tally.failures.values.reduce(0, +)
let seconds = elapsed.milliseconds / 1e3
print(String(format: "requests=%d concurrency=%d body_bytes=%d succeeded=%d failed=%d seconds=%.3f requests_per_second=%.0f p50_ms=%.3f p99_ms=%.3f",
             options.requests, options.concurrency, request.body.count, latencies.count, failed, seconds,
             Double(options.requests) / seconds, percentile(latencies, 0.50).milliseconds, percentile(latencies, 0.99).milliseconds))
for (reason, count) in tally.failures.sorted(by: { $0.value > $1.value }) {
    print("failure count=\(count) reason=\"\(reason)\"")
}
exit(failed == 0 ? 0 : 1)
