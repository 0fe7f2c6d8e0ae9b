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
    private let memory: Descriptor
    /// The memfd holding the liveness page.
    private let livenessPage: Descriptor
    /// The eventfd writers signal when the reader sleeps.
    private let wake: Descriptor
    /// The eventfd's number.
    var wakeFD: Int32 { wake.rawValue }
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
        memory: consuming Descriptor, livenessPage: consuming Descriptor, wake: consuming Descriptor,
        base: UnsafeMutableRawPointer, bytes: Int, liveness: UnsafeMutableRawPointer, holdsLiveness: Bool
    ) {
        self.memory = memory
        self.livenessPage = livenessPage
        self.wake = wake
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
        // The three descriptors close as the stored properties go.
    }

    /// Where waiting writers sleep (a futex word).
    var roomSequence: UnsafeMutableRawPointer { base + SharedRingLayout.roomSequenceOffset }

    /// `true` while the reader's thread lives (its liveness lock is held, not marked dead).
    var readerAlive: Bool { system_livenessHolderAlive(at: liveness) }

    /// The descriptors a writer needs, in the order ``attach(memoryFD:livenessFD:wakeFD:)`` takes.
    var descriptorsForWriters: [Int32] { [memory.rawValue, livenessPage.rawValue, wake.rawValue] }

    /// Makes a zeroed region for a new ring of `capacity` record bytes and its liveness page,
    /// locked on this thread.
    static func create(capacity: Int) throws(SyscallError) -> SharedMemoryRegion {
        let bytes = SharedRingLayout.regionBytes(capacity: capacity)
        // Each descriptor closes by itself if a later step throws.
        let memory = Descriptor(owning: try system_sealedMemory(name: "mailslot-ring", bytes: bytes, final: true))
        let livenessPage = Descriptor(owning: try system_sealedMemory(name: "mailslot-liveness", bytes: livenessBytes, final: false))
        let wake = Descriptor(owning: try system_eventfd())
        let base = try system_mapShared(memory.rawValue, bytes: bytes)
        let liveness: UnsafeMutableRawPointer
        do throws(SyscallError) {
            liveness = try system_mapShared(livenessPage.rawValue, bytes: livenessBytes)
            guard system_lockLiveness(at: liveness) else {
                system_unmap(liveness, bytes: livenessBytes)
                throw SyscallError("pthread_mutex_lock", errno: ENOLCK)
            }
            do { try system_sealFutureWrites(livenessPage.rawValue) } catch {
                _ = system_unlockLiveness(at: liveness)
                system_unmap(liveness, bytes: livenessBytes)
                throw error
            }
        } catch {
            system_unmap(base, bytes: bytes)
            throw error
        }
        return SharedMemoryRegion(
            memory: memory, livenessPage: livenessPage, wake: wake, base: base, bytes: bytes, liveness: liveness,
            holdsLiveness: true)
    }

    /// Maps a region a reader sent, taking ownership of the descriptors (closed on failure).
    /// - Returns: `nil` when the ring is not sealed against resizing, the liveness page is not
    ///   sealed read-only, or the ring is not of this layout.
    static func attach(memoryFD: Int32, livenessFD: Int32, wakeFD: Int32) -> (SharedMemoryRegion, SharedRingWriter)? {
        // Owned from here: every early return closes all three.
        let memory = Descriptor(owning: memoryFD)
        let livenessPage = Descriptor(owning: livenessFD)
        let wake = Descriptor(owning: wakeFD)
        guard system_isSealedAgainstResize(memory.rawValue), system_isSealedReadOnly(livenessPage.rawValue),
            let bytes = try? system_fileSize(memory.rawValue), bytes > SharedRingLayout.controlBytes,
            (try? system_fileSize(livenessPage.rawValue)) == livenessBytes
        else { return nil }
        guard let base = try? system_mapShared(memory.rawValue, bytes: bytes) else { return nil }
        guard let liveness = try? system_mapReadOnly(livenessPage.rawValue, bytes: livenessBytes) else {
            system_unmap(base, bytes: bytes)
            return nil
        }
        let region = SharedMemoryRegion(
            memory: memory, livenessPage: livenessPage, wake: wake, base: base, bytes: bytes, liveness: liveness,
            holdsLiveness: false)
        guard let writer = SharedRingWriter(base: base, size: bytes) else { return nil }
        return (region, writer)
    }
}
