import Bridge
import Foundation
import HTTPClient
import Storage
import Testing
import TestSupport

/// `botbridge copy`: a deployment that ran on SQLite moves to PostgreSQL and goes on where it
/// stopped — same conversations, keys and deliveries, new rows with new ids — and a second copy
/// into the now-used database is refused. `botbridge migrate` brings an empty database to the schema.
@Suite struct CopyEndToEndTests {
    @Test func aSQLiteDeploymentMovesToPostgreSQL() async throws {
        let log = ScaleOutEndToEndTests.BotLog()
        let (bot, botPort) = try ScaleOutEndToEndTests.fakeBot(log)
        let sqlite = try await GatewayUnderTest.start(config: ScaleOutEndToEndTests.config, fakePort: botPort)
        for n in 0..<6 {
            #expect(await ScaleOutEndToEndTests.post(sqlite, sid: "SM-copy-\(n)", from: "whatsapp:+3460000010\(n % 3)", text: "before \(n)") == 200)
        }
        let file = sqlite.directory.appendingPathComponent("botbridge.sqlite").path
        let key = try await BinaryRunner.createKey(db: file, directory: sqlite.directory, scopes: "conversations.read")
        try await Task.sleep(for: .milliseconds(200))
        try await sqlite.stop()

        let url = try await TestPostgres.shared().makeDatabase()
        let (status, out, err) = try await BinaryRunner.run(["copy", "--from", file, "--to", url])
        #expect(status == 0, "\(err)")
        #expect(out.contains("counts match"))
        #expect(err.contains("messages: "))
        let again = try await BinaryRunner.run(["copy", "--from", file, "--to", url])
        #expect(again.0 == 1)
        #expect(again.2.contains("not empty"))

        let postgres = try await GatewayUnderTest.start(config: ScaleOutEndToEndTests.config, fakePort: botPort, database: url)
        let listed = try await ScaleOutEndToEndTests.request(postgres, "GET", "/v1/conversations", key: key)
        #expect(listed.status == 200)
        let conversations = (try JSONSerialization.jsonObject(with: Data(listed.body)) as? [String: Any])?["conversations"] as? [Any]
        #expect(conversations?.count == 3)
        // New rows get ids after the copied ones; a provider retry of a copied message stores nothing.
        #expect(await ScaleOutEndToEndTests.post(postgres, sid: "SM-copy-new", from: "whatsapp:+34600000199", text: "after") == 200)
        #expect(await ScaleOutEndToEndTests.post(postgres, sid: "SM-copy-0", from: "whatsapp:+34600000100", text: "before 0") == 200)
        try await postgres.stop()
        let messages = try await postgres.openDatabase().read { db in
            try db.scalar("SELECT count(*) FROM messages WHERE direction = 'inbound'").int
        }
        #expect(messages == 7)
        await bot.shutdown()
        sqlite.removeDirectory()
        postgres.removeDirectory()
    }

    @Test func migrateBringsAnEmptyDatabaseToTheSchemaAndBadAddressesAreUsageErrors() async throws {
        let url = try await TestPostgres.shared().makeDatabase()
        let (status, out, err) = try await BinaryRunner.run(["migrate", "--db", url])
        #expect(status == 0, "\(err)")
        #expect(out.contains("schema version \(BridgeSchema.migrations.last!.version)"))
        #expect(!out.contains("password"))
        let unreachable = try await BinaryRunner.run(["migrate", "--db", "postgres://bot:fake-secret-pw@127.0.0.1:1/x"])
        #expect(unreachable.0 == 69)
        #expect(unreachable.2.contains("127.0.0.1"))
        #expect(!unreachable.2.contains("fake-secret-pw"))
        let copyUsage = try await BinaryRunner.run(["copy", "--from", url, "--to", url])
        #expect(copyUsage.0 == 64)
    }
}
