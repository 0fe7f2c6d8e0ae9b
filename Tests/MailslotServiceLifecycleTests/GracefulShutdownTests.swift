import Glibc
import MailslotEngine
import MailslotServiceLifecycle
import MailslotTestSupport
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// Graceful shutdown: what writers already sent is delivered before the mailslots close, within
/// a bound; what no one takes is counted. Writers are real processes.
@Suite("Graceful shutdown (swift-service-lifecycle)", .tags(.crossesThreads), .timeLimit(.minutes(10)))
struct GracefulShutdownTests {
    static func slotName(_ tag: String) -> (path: String, full: String) {
        let path = uniqueMailslotPath(tag)
        return (path, "\\\\.\\mailslot\\" + path)
    }

    /// Sends `count` numbered messages from a writer process that waits for room.
    static func writer(_ path: String, count: Int) throws -> ChildProcess {
        try ChildProcess("/bin/sh", ["-c", "seq 1 \(count) | exec \"$0\" write \"$1\" --stdin --wait 60000", MailslotBinary.path, path])
    }

    @Test("a lagging consumer's graceful shutdown: every message already sent still reaches it, in order, then the stream ends")
    func consumerDrainsBeforeItsMailslotCloses() async throws {
        try await withinBound(seconds: 300) {
            let mailslots = try MailslotService()
            let (path, full) = Self.slotName("drain")
            let slot = try await mailslots.engine.createMailslot(named: full)
            let taken = Locked<[Int]>([])
            try await testGracefulShutdown { trigger in
                let consumer = Task {
                    // A generous bound: in a full parallel run this task may wait a minute for a thread.
                    try await slot.consumeUntilGracefulShutdown(buffer: 64, drainingWithin: .seconds(240)) { message in
                        let number = Int(String(decoding: message.bytes, as: UTF8.self)) ?? -1
                        let count = taken.withLock { $0.append(number); return $0.count }
                        if count % 500 == 0 { try await Task.sleep(for: .milliseconds(20)) }  // lags
                    }
                }
                let writer = try Self.writer(path, count: 20_000)
                #expect(writer.waitForExit(timeout: 120) == 0, "\(writer.standardError)")
                // The writer is done; much of what it sent is still in the ring and the kernel.
                let undelivered = try await slot.info().messageCount
                trigger.triggerGracefulShutdown()
                try await consumer.value
                let numbers = taken.withLock { $0 }
                let everyOneInOrder = numbers == Array(1...20_000)
                #expect(everyOneInOrder, "took \(numbers.count) of 20,000; \(undelivered) were queued at the signal")
            }
            await mailslots.engine.shutdown()
        }
    }

    @Test("the drain is bounded: messages nobody takes count as closed-unread once the bound passes")
    func drainIsBounded() async throws {
        try await withinBound(seconds: 300) {
            let engine = try MailslotEngineThread()
            let (path, full) = Self.slotName("bound")
            _ = try await engine.createMailslot(named: full)
            let writer = try Self.writer(path, count: 50)
            #expect(writer.waitForExit(timeout: 60) == 0, "\(writer.standardError)")
            let final = Locked<MailslotStatistics?>(nil)
            _ = try await engine.run { engine in engine.onThreadEnd { final.withLock { $0 = engine.statistics } } }
            let clock = ContinuousClock()
            let took = await clock.measure { await engine.shutdown(drainingWithin: .milliseconds(300)) }
            #expect(took >= .milliseconds(300) && took < .seconds(30), "took \(took)")
            let statistics = try #require(final.withLock { $0 })
            #expect(statistics.received == 50)
            #expect(statistics.drops.closedUnread == 50)
        }
    }

    @Test("a drain with nothing left to deliver ends at once; run() returns when the engine stops")
    func emptyDrainIsQuick() async throws {
        try await withinBound(seconds: 300) {
            let mailslots = try MailslotService(drainingWithin: .seconds(60))
            _ = try await mailslots.engine.createMailslot(named: Self.slotName("quick").full)
            let clock = ContinuousClock()
            let took = await clock.measure {
                await testGracefulShutdown { trigger in
                    async let running: Void = mailslots.run()
                    trigger.triggerGracefulShutdown()
                    await running
                }
            }
            #expect(took < .seconds(30), "took \(took): the drain waited for nothing")
            #expect(mailslots.engine.isShutDown)
        }
    }

    @Test("cancelling run() stops the engine at once; later calls fail as aborted")
    func cancellationStops() async throws {
        try await withinBound(seconds: 300) {
            let mailslots = try MailslotService()
            let running = Task { await mailslots.run() }
            running.cancel()
            await running.value
            #expect(mailslots.engine.isShutDown)
            await #expect(throws: MailslotError.self) {
                _ = try await mailslots.engine.createMailslot(named: Self.slotName("late").full)
            }
        }
    }
}

/// A value behind a lock, shareable with tasks and the engine thread.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
