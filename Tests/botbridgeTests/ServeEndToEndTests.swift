import Foundation
import HTTPClient
import Testing
import TestSupport

/// `botbridge serve` as a real process, spoken to over loopback with our libcurl client.
@Suite struct ServeEndToEndTests {
    @Test(arguments: TestBackend.allCases) func servesHealthAndMetricsThenStopsOnSIGTERM(_ backend: TestBackend) async throws {
        let server = try BinaryRunner(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"] + (try await backend.scratchDatabaseArguments()))
        let port = try await server.waitForListeningPort()
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }

        let health = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"))
        #expect(health.status == 200)
        #expect(health.bodyText == #"{"status":"ok"}"#)
        #expect(health.header("X-Request-Id") != nil)

        let missing = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/nope"))
        #expect(missing.status == 404)

        let metrics = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"))
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.bodyText.contains(#"botbridge_http_requests_total{route="/healthz",method="GET",status="200"} 1"#))
        #expect(metrics.bodyText.contains("botbridge_http_request_duration_seconds_bucket"))
        #expect(metrics.bodyText.contains("botbridge_http_open_connections"))

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(server.stderr.contains(#""msg":"shutting down""#))
        #expect(server.stderr.contains(#""signal":"SIGTERM""#))
    }

    @Test(arguments: TestBackend.allCases)
    func sigintWhileARequestIsInFlightFinishesItAndExitsZero(_ backend: TestBackend) async throws {
        let server = try BinaryRunner(["serve", "--listen", "127.0.0.1:0", "--echo"] + (try await backend.scratchDatabaseArguments()))
        let port = try await server.waitForListeningPort()
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }
        // A 200 KB body sent slowly enough to still be in flight when the signal lands is hard to
        // arrange from curl; instead many concurrent echoes race the signal and none may fail
        // with anything but a refused connection after shutdown began.
        let body = Array(repeating: UInt8(ascii: "x"), count: 200_000)
        let results = await withTaskGroup(of: Result<Int, HTTPClientError>.self) { group in
            for i in 0..<40 {
                group.addTask {
                    if i == 20 { server.signal(SIGINT) }
                    do throws(HTTPClientError) {
                        let r = try await client.send(HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo", body: body))
                        return .success(r.body.count == body.count ? r.status : -1)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Result<Int, HTTPClientError>] = []
            for await r in group { all.append(r) }
            return all
        }
        for result in results {
            switch result {
            case .success(let status): #expect(status == 200, "a response was cut short")
            case .failure(let error):
                // Requests that reach the server after it stopped listening are refused or reset, never half-answered.
                #expect(error == .connectionRefused || { if case .transport = error { true } else { false } }(), "\(error)")
            }
        }
        #expect(try await server.waitForExit() == 0)
        #expect(server.stderr.contains("signal=SIGINT"))
    }

    /// The listening socket only: SQLite, the default.
    @Test func busyPortIsAClearError() async throws {
        let first = try BinaryRunner(["serve", "--listen", "127.0.0.1:0"])
        let port = try await first.waitForListeningPort()
        let (status, _, err) = try await BinaryRunner.run(["serve", "--listen", "127.0.0.1:\(port)"])
        #expect(status == 69)
        #expect(err.contains("address already in use"))
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }
}

extension TestBackend {
    /// What `--db` a gateway in a scratch directory of its own gets: nothing on SQLite (its
    /// default file there), a new database on PostgreSQL.
    func scratchDatabaseArguments() async throws -> [String] {
        switch self {
        case .sqlite: return []
        case .postgres: return ["--db", try await databaseArgument(directory: "")]
        }
    }
}
