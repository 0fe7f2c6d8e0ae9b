import Glibc
import MailslotEngine

/// What a handle of the C library refers to.
enum HandleObject {
    /// A mailslot this process created: the reader (`CreateMailslotA`, `msl_slot_create`).
    case server(ConcurrentMailslotServer)
    /// An opened name: a writer (`CreateFileA`, `msl_writer_open`).
    case writer(WriterHandle)
    /// A Win32 event (`CreateEventA`).
    case event(Win32Event)
}

/// Every open handle of the C library, behind values that are not pointers.
///
/// A handle value is drawn here:
///
/// ```
///  63            48 47                   24 23                    0
/// ┌────────────────┬───────────────────────┬───────────────────────┐
/// │ tag 0x4D53 "MS"│ generation (24 bits)  │ slot index (24 bits)  │
/// └────────────────┴───────────────────────┴───────────────────────┘
/// ```
///
/// The tag keeps every value outside the user-space address range, so no real pointer, `NULL`
/// or `INVALID_HANDLE_VALUE` is ever a handle; the generation changes each time a slot is
/// reused, so a closed handle stays invalid after its slot serves another. The table grows as
/// needed (up to 16 million open handles): programs that leak handles, as Microsoft's reader
/// sample leaks an event per poll, keep working.
///
/// After `fork()` the child's first call finds the table inherited: it drops the parent's
/// mailslot servers (each closes only the child's copy of its socket) and gives each event a
/// descriptor of its own; writers stay usable.
final class HandleTable: @unchecked Sendable {
    private struct Entry {
        var generation: UInt32
        var object: HandleObject?
    }

    private struct Storage {
        var entries: [Entry] = []
        var free: [Int] = []
        var generation = ForkGeneration.current
    }

    /// The process's table.
    static let shared = HandleTable()

    private let storage = ThreadLock(Storage())
    private static let tag: UInt = 0x4D53 << 48
    private static let indexBits: UInt = 24
    private static let mask: UInt = (1 << 24) - 1

    private init() {
        // A fork while another thread holds the lock would leave it held in the child.
        pthread_atfork(
            { HandleTable.shared.storage.lockForFork() },
            { HandleTable.shared.storage.unlockAfterFork() },
            { HandleTable.shared.storage.unlockAfterFork() })
    }

    /// Adds `object`. - Returns: its handle value, or `nil` when 16 million are open.
    func insert(_ object: HandleObject) -> UInt? {
        storage.withLock { storage in
            Self.adoptIfForked(&storage)
            let index: Int
            if let reused = storage.free.popLast() {
                index = reused
            } else {
                guard UInt(storage.entries.count) <= Self.mask else { return nil }
                index = storage.entries.count
                storage.entries.append(Entry(generation: 0, object: nil))
            }
            storage.entries[index].generation = (storage.entries[index].generation + 1) & UInt32(Self.mask)
            storage.entries[index].object = object
            return Self.tag | UInt(storage.entries[index].generation) << Self.indexBits | UInt(index)
        }
    }

    /// The object behind `handle`, or `nil` for a closed, stale or made-up value.
    func lookup(_ handle: UInt) -> HandleObject? {
        storage.withLock { storage in
            Self.adoptIfForked(&storage)
            guard let index = Self.index(of: handle, in: storage) else { return nil }
            return storage.entries[index].object
        }
    }

    /// Removes `handle`. - Returns: its object, or `nil` when it was not open.
    func remove(_ handle: UInt) -> HandleObject? {
        storage.withLock { storage in
            Self.adoptIfForked(&storage)
            guard let index = Self.index(of: handle, in: storage) else { return nil }
            defer {
                storage.entries[index].object = nil
                storage.free.append(index)
            }
            return storage.entries[index].object
        }
    }

    private static func index(of handle: UInt, in storage: Storage) -> Int? {
        guard handle & ~(mask << indexBits | mask) == tag else { return nil }
        let index = Int(handle & mask)
        guard index < storage.entries.count, storage.entries[index].object != nil,
            UInt(storage.entries[index].generation) == (handle >> indexBits) & mask
        else { return nil }
        return index
    }

    /// In a forked child, the first call: the parent's servers go, events get their own
    /// descriptors (see the type's note).
    private static func adoptIfForked(_ storage: inout Storage) {
        let generation = ForkGeneration.current
        guard storage.generation != generation else { return }
        storage.generation = generation
        for index in storage.entries.indices {
            switch storage.entries[index].object {
            case .server(let server):
                server.close()  // in the child: closes the child's copy of the socket only
                storage.entries[index].object = nil
                storage.free.append(index)
            case .event(let event):
                event.detachAfterFork()
            case .writer, nil:
                break
            }
        }
    }
}
