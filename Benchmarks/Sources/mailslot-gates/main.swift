import CMallocCounter
import Glibc
import MailslotEngine
import MicroWorkloads

// The malloc gates: every steady-state workload (MicroWorkload.steadyState: the ring, and a
// message's way through the engine per transport) must allocate nothing once warmed up.
// Allocations are counted by this executable's own malloc (CMallocCounter), for every caller in
// the process. A control that must allocate runs first, so a counter that sees nothing (say,
// malloc no longer interposed) fails the gates instead of passing them.
//
// Usage: mailslot-gates [ITERATION SCALE, default 1]

let scale = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1

func line(_ text: String) {
    print(text)
}

/// `text` left-aligned in `width` columns.
func padded(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }

// The control: parsing names builds strings, so it must be seen allocating.
malloc_counter_start()
for index in 0..<100 { keep(try? MailslotName("\\\\.\\mailslot\\gates\\control\\\(index)")) }
let controlAllocations = malloc_counter_stop()
guard controlAllocations > 0 else {
    line("mailslot-gates: the allocation counter saw no allocation where there must be some; malloc is not interposed")
    exit(2)
}

line("\(padded("workload", 24)) \(padded("iterations", 10))  allocations")
var failed: [String] = []
for workload in MicroWorkload.steadyState {
    let iterations = (workload.perThousand ? 100_000 : 2_000) * max(1, scale)
    let allocations: UInt64
    do {
        let run = try workload.prepare()
        malloc_counter_start()
        try run.run(iterations)
        allocations = malloc_counter_stop()
        run.finish()
    } catch {
        line("mailslot-gates: \(workload.name) failed: \(error)")
        exit(1)
    }
    line("\(padded(workload.name, 24)) \(padded(String(iterations), 10))  \(allocations)")
    if allocations > 0 { failed.append(workload.name) }
}
if !failed.isEmpty {
    line("mailslot-gates: allocations in steady state: \(failed.joined(separator: ", ")) (the gate is 0)")
    exit(1)
}
line("mailslot-gates: 0 allocations per message in steady state (ring, batch, engine dispatch, datagram service, shared memory); the control allocated \(controlAllocations) times")
