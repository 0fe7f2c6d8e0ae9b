import Testing

/// Every test of the C library, one at a time. Each blocks a thread of Swift Testing's pool
/// while its processes run (the compiler, C programs, network namespaces); run together on a
/// two-core machine they held both of the pool's threads for a minute, and unrelated suites
/// timed out waiting. Serialized, they keep to one thread and the rest of the run goes on
/// beside them.
@Suite("The C library", .serialized, .timeLimit(.minutes(5)))
struct CLibraryTests {}
