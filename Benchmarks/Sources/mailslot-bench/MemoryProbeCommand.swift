import ArgumentParser
import CBaselines
import Glibc
import MailslotEngine

/// Scenario e's probe, run in a fresh process: creates `count` idle mailslots in one engine and
/// prints `created rss_before rss_after slab_before slab_after` and, when creation stopped
/// early, the error.
struct MemoryProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory-probe", abstract: "Measure RSS per idle mailslot (internal).", shouldDisplay: false)

    @Option var count = 10_000

    func run() throws {
        let engine = try MailslotEngine()
        var servers: [MailslotServer] = []
        servers.reserveCapacity(count)
        let prefix = "bench-memory\\\(getpid())"
        // Warm up one of each so one-time costs (the engine's batch buffers, the registry
        // folder, lazily loaded code) are not charged to the mailslots.
        servers.append(try engine.createMailslot(MailslotName(localPath: "\(prefix)\\warm")))
        cb_malloc_trim()
        let rssBefore = cb_rss_bytes()
        let slabBefore = Self.kernelSlabBytes()
        var failure = ""
        for index in 0..<count {
            do {
                servers.append(try engine.createMailslot(MailslotName(localPath: "\(prefix)\\\(index)")))
            } catch {
                failure = "\(error)"
                break
            }
        }
        let rssAfter = cb_rss_bytes()
        let slabAfter = Self.kernelSlabBytes()
        print("\(servers.count - 1) \(rssBefore) \(rssAfter) \(slabBefore) \(slabAfter) \(failure)")
        servers.removeAll()
    }

    /// The kernel's slab memory (sockets and their buffers live there), from /proc/meminfo.
    static func kernelSlabBytes() -> UInt64 {
        guard let file = fopen("/proc/meminfo", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("Slab:") {
                let digits = text.split(separator: " ").compactMap { UInt64($0) }
                return (digits.first ?? 0) * 1024
            }
        }
        return 0
    }
}
