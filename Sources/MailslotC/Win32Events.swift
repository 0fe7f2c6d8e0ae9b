import CMailslotAPI
import MailslotEngine

// Win32 events and waits: CreateEventA, SetEvent, ResetEvent, WaitForSingleObject and
// WaitForMultipleObjects, on events and on mailslot server handles (signalled while a message
// is queued; waiting does not take the message).

/// Named events of this process, while a handle refers to them.
private let namedEvents = ThreadLock<[String: WeakEvent]>([:])

private final class WeakEvent {
    weak var event: Win32Event?
    init(_ event: Win32Event) { self.event = event }
}

/// `CreateEventA`. A name already in use returns a new handle to the same event, with last
/// error `ERROR_ALREADY_EXISTS`.
@_cdecl("CreateEventA")
public func createEventA(
    _ security: UnsafeMutableRawPointer?, _ manualReset: Int32, _ initialState: Int32, _ name: UnsafePointer<CChar>?
) -> UnsafeMutableRawPointer? {
    let key = name.map { String(cString: $0) }
    var existed = false
    let event: Win32Event
    if let key {
        event = namedEvents.withLock { events in
            if let found = events[key]?.event {
                existed = true
                return found
            }
            let made = Win32Event(manualReset: manualReset != 0, initiallySignalled: initialState != 0)
            events = events.filter { $0.value.event != nil }
            events[key] = WeakEvent(made)
            return made
        }
    } else {
        event = Win32Event(manualReset: manualReset != 0, initiallySignalled: initialState != 0)
    }
    guard let bits = try? insertHandle(.event(event)) else {
        recordFailure(.systemLimit(syscall: "handle table", errno: 0))
        return nil  // CreateEvent fails with NULL, not INVALID_HANDLE_VALUE
    }
    msl__set_failure(existed ? 183 : 0, nil)
    return UnsafeMutableRawPointer(bitPattern: bits)
}

/// `SetEvent`.
@_cdecl("SetEvent")
public func setEvent(_ handle: UnsafeMutableRawPointer?) -> Int32 {
    win32Bool { () throws(MailslotError) in try lookupEvent(handle).set() }
}

/// `ResetEvent`.
@_cdecl("ResetEvent")
public func resetEvent(_ handle: UnsafeMutableRawPointer?) -> Int32 {
    win32Bool { () throws(MailslotError) in try lookupEvent(handle).reset() }
}

private func lookupEvent(_ handle: UnsafeMutableRawPointer?) throws(MailslotError) -> Win32Event {
    guard case .event(let event)? = HandleTable.shared.lookup(handleBits(handle)) else { throw .invalidHandle }
    return event
}

/// `WaitForSingleObject`.
@_cdecl("WaitForSingleObject")
public func waitForSingleObject(_ handle: UnsafeMutableRawPointer?, _ milliseconds: UInt32) -> UInt32 {
    var single = handle
    return waitForMultipleObjects(1, &single, 0, milliseconds)
}

/// `WaitForMultipleObjects` (at most `MAXIMUM_WAIT_OBJECTS`, 64).
@_cdecl("WaitForMultipleObjects")
public func waitForMultipleObjects(
    _ count: UInt32, _ handles: UnsafePointer<UnsafeMutableRawPointer?>?, _ waitAll: Int32, _ milliseconds: UInt32
) -> UInt32 {
    let failed: UInt32 = 0xFFFF_FFFF
    guard let handles, count > 0, count <= 64 else {
        recordFailure(.invalidParameter("nCount \(count) (1 to 64) or lpHandles NULL"))
        return failed
    }
    var objects: [Waitable] = []
    for index in 0..<Int(count) {
        switch HandleTable.shared.lookup(handleBits(handles[index])) {
        case .event(let event)?: objects.append(.event(event))
        case .server(let server)?: objects.append(.server(server))
        case .writer?, nil:
            recordFailure(.invalidHandle)
            return failed
        }
    }
    do {
        guard let index = try Waitable.wait(for: objects, all: waitAll != 0, milliseconds: milliseconds) else { return 0x102 }
        return UInt32(index)
    } catch {
        recordFailure(error)
        return failed
    }
}

/// One object a wait can be satisfied by.
enum Waitable {
    case event(Win32Event)
    case server(ConcurrentMailslotServer)

    /// Signalled now? A wait that is satisfied takes it (an auto-reset event clears).
    func take() throws(MailslotError) -> Bool {
        switch self {
        case .event(let event): event.take()
        case .server(let server): try server.hasMessage()
        }
    }

    /// Signalled now, without taking it.
    func peek() throws(MailslotError) -> Bool {
        switch self {
        case .event(let event): event.isSignalled
        case .server(let server): try server.hasMessage()
        }
    }

    func descriptor() throws(MailslotError) -> Int32 {
        switch self {
        case .event(let event): try event.descriptor()
        case .server(let server): try server.descriptor()
        }
    }

    /// The longest sleep between looks: a server's engine needs a turn now and then (a
    /// shared-memory writer that died mid-message is noticed by a timer).
    static let longestSleep = 1000

    /// Waits until one of `objects` (or, with `all`, every one at the same look) is signalled.
    /// - Returns: the index satisfied (0 with `all`), or `nil` on timeout.
    static func wait(for objects: [Waitable], all: Bool, milliseconds: UInt32) throws(MailslotError) -> Int? {
        let deadline = milliseconds == 0xFFFF_FFFF ? nil : monotonicMilliseconds() + Int64(milliseconds)
        while true {
            var unsignalled: [Waitable] = []
            if all {
                for object in objects where !(try object.peek()) { unsignalled.append(object) }
                if unsignalled.isEmpty {
                    for object in objects { _ = try object.take() }
                    return 0
                }
            } else {
                for (index, object) in objects.enumerated() where try object.take() { return index }
                unsignalled = objects
            }
            var remaining = longestSleep
            if let deadline {
                let left = Int(deadline - monotonicMilliseconds())
                if left <= 0 { return nil }
                remaining = min(left, longestSleep)
            }
            var descriptors: [Int32] = []
            for object in unsignalled { descriptors.append(try object.descriptor()) }
            _ = waitForReadable(descriptors, timeoutMilliseconds: remaining)
        }
    }
}
