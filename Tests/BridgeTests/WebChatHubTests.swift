import Bridge
import Testing

@Suite struct WebChatHubTests {
    @Test func aNotificationBetweenReadAndWaitIsNotLost() async {
        let hub = WebChatHub()
        let watch = hub.watch(identity: 7)
        defer { watch.cancel() }
        hub.notify(identity: 7) // after the reader registered, before it waits
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await watch.wait(timeout: .seconds(10)))
        #expect(clock.now - started < .seconds(1))
        // Consumed: the next wait times out.
        #expect(await watch.wait(timeout: .milliseconds(50)) == false)
    }

    @Test func notifyWakesOnlyThatIdentity() async throws {
        let hub = WebChatHub()
        let mine = hub.watch(identity: 1), other = hub.watch(identity: 2)
        defer { mine.cancel(); other.cancel() }
        async let woken = mine.wait(timeout: .seconds(10))
        async let untouched = other.wait(timeout: .milliseconds(300))
        try await Task.sleep(for: .milliseconds(50))
        hub.notify(identity: 1)
        #expect(await woken)
        #expect(await untouched == false)
    }

    @Test func closeEndsWaitsAndCancelUnregisters() async throws {
        let hub = WebChatHub()
        let watch = hub.watch(identity: 3)
        #expect(hub.watching == 1)
        async let waiting = watch.wait(timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        hub.close()
        #expect(await waiting == false)
        #expect(await watch.wait(timeout: .seconds(30)) == false)
        watch.cancel()
        #expect(hub.watching == 0)
    }

    @Test func aCancelledTaskStopsWaiting() async {
        let hub = WebChatHub()
        let watch = hub.watch(identity: 4)
        defer { watch.cancel() }
        let task = Task { await watch.wait(timeout: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await task.value == false)
    }
}
