import Glibc
import MailslotRing

/// The memory of one shared-memory ring, mapped; the page that tells writers the reader lives;
/// and the eventfd writers wake the reader with.
///
/// The reader's side makes them (``create(capacity:)``, then formats the ring): the ring is a
/// memfd sealed against resizing (nobody can shrink it under a mapping); the liveness page is
/// a second memfd holding a robust mutex the reader's thread locks, then sealed against writes,
/// so writers map it read-only and cannot forge or corrupt it (glibc's robust list runs through
/// the mutex: a writer able to write it could make the reader's thread write anywhere).
/// A writer's side maps what the reader sent it (``attach(memoryFD:livenessFD:wakeFD:)``) and
/// checks the seals and the layout before trusting them.
///
/// `@unchecked Sendable`: its descriptors and mapping never change after set-up, and the
/// memory is shared with other processes anyway: every access goes through the ring's atomics.
final class SharedMemoryRegion: @unchecked Sendable {
    /// The memfd holding the ring.
    let memoryFD: Int32
    /// The memfd holding the liveness page.
    let livenessFD: Int32
    /// The eventfd writers signal when the reader sleeps.
    let wakeFD: Int32
    /// The ring mapping's start.
    let base: UnsafeMutableRawPointer
    /// The ring mapping's size.
    let bytes: Int
    /// The liveness page (writable for the reader, read-only for writers).
    let liveness: UnsafeMutableRawPointer
    /// `true` when this side holds the liveness lock (the reader, on its loop thread).
    private let holdsLiveness: Bool

    /// Bytes of the liveness page.
    static let livenessBytes = 4096

    private init(
        memoryFD: Int32, livenessFD: Int32, wakeFD: Int32, base: UnsafeMutableRawPointer, bytes: Int,
        liveness: UnsafeMutableRawPointer, holdsLiveness: Bool
    ) {
        self.memoryFD = memoryFD
        self.livenessFD = livenessFD
        self.wakeFD = wakeFD
        self.base = base
        self.bytes = bytes
        self.liveness = liveness
        self.holdsLiveness = holdsLiveness
    }

    deinit {
        system_unmap(base, bytes: bytes)
        // glibc's robust-mutex list runs through the lock: unmapping it while still locked by
        // this thread would leave the list pointing at nothing, so such a page is kept.
        if !holdsLiveness || system_unlockLiveness(at: liveness) { system_unmap(liveness, bytes: Self.livenessBytes) }
        system_close(memoryFD)
        system_close(livenessFD)
        system_close(wakeFD)
    }

    /// Where waiting writers sleep (a futex word).
    var roomSequence: UnsafeMutableRawPointer { base + SharedRingLayout.roomSequenceOffset }

    /// `true` while the reader's thread lives (its liveness lock is held, not marked dead).
    var readerAlive: Bool { system_livenessHolderAlive(at: liveness) }

    /// The descriptors a writer needs, in the order ``attach(memoryFD:livenessFD:wakeFD:)`` takes.
    var descriptorsForWriters: [Int32] { [memoryFD, livenessFD, wakeFD] }

    /// Makes a zeroed region for a new ring of `capacity` record bytes and its liveness page,
    /// locked on this thread.
    static func create(capacity: Int) throws(SyscallError) -> SharedMemoryRegion {
        let bytes = SharedRingLayout.regionBytes(capacity: capacity)
        var opened: [Int32] = []
        var mapped: [(UnsafeMutableRawPointer, Int)] = []
        do throws(SyscallError) {
            let memoryFD = try system_sealedMemory(name: "mailslot-ring", bytes: bytes, final: true)
            opened.append(memoryFD)
            let livenessFD = try system_sealedMemory(name: "mailslot-liveness", bytes: livenessBytes, final: false)
            opened.append(livenessFD)
            let wakeFD = try system_eventfd()
            opened.append(wakeFD)
            let base = try system_mapShared(memoryFD, bytes: bytes)
            mapped.append((base, bytes))
            let liveness = try system_mapShared(livenessFD, bytes: livenessBytes)
            mapped.append((liveness, livenessBytes))
            guard system_lockLiveness(at: liveness) else { throw SyscallError("pthread_mutex_lock", errno: ENOLCK) }
            do { try system_sealFutureWrites(livenessFD) } catch {
                _ = system_unlockLiveness(at: liveness)
                throw error
            }
            return SharedMemoryRegion(
                memoryFD: memoryFD, livenessFD: livenessFD, wakeFD: wakeFD, base: base, bytes: bytes, liveness: liveness,
                holdsLiveness: true)
        } catch {
            for (address, size) in mapped { system_unmap(address, bytes: size) }
            for fd in opened { system_close(fd) }
            throw error
        }
    }

    /// Maps a region a reader sent, taking ownership of the descriptors (closed on failure).
    /// - Returns: `nil` when the ring is not sealed against resizing, the liveness page is not
    ///   sealed read-only, or the ring is not of this layout.
    static func attach(memoryFD: Int32, livenessFD: Int32, wakeFD: Int32) -> (SharedMemoryRegion, SharedRingWriter)? {
        let fail: () -> (SharedMemoryRegion, SharedRingWriter)? = {
            for fd in [memoryFD, livenessFD, wakeFD] { system_close(fd) }
            return nil
        }
        guard system_isSealedAgainstResize(memoryFD), system_isSealedReadOnly(livenessFD),
            let bytes = try? system_fileSize(memoryFD), bytes > SharedRingLayout.controlBytes,
            (try? system_fileSize(livenessFD)) == livenessBytes
        else { return fail() }
        guard let base = try? system_mapShared(memoryFD, bytes: bytes) else { return fail() }
        guard let liveness = try? system_mapReadOnly(livenessFD, bytes: livenessBytes) else {
            system_unmap(base, bytes: bytes)
            return fail()
        }
        let region = SharedMemoryRegion(
            memoryFD: memoryFD, livenessFD: livenessFD, wakeFD: wakeFD, base: base, bytes: bytes, liveness: liveness,
            holdsLiveness: false)
        guard let writer = SharedRingWriter(base: base, size: bytes) else { return nil }
        return (region, writer)
    }
}
