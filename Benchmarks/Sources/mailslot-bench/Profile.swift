/// How long and how often each trial runs.
struct Profile: Sendable {
    /// Seconds each writer writes in one trial.
    var seconds: Double
    /// Trials per figure; the table shows the median.
    var repetitions: Int
    /// Offered rates of scenario d, as fractions of the measured maximum.
    var sweep: [Double]
    /// Mailslot counts of scenario c.
    var fanOut: [Int]
    /// Mailslot counts of scenario e.
    var memory: [Int]
    /// Mailslot counts of scenario f (UDP ingest).
    var udpMailslots: [Int] = [1, 1000, 10_000]
    /// Datagrams per UDP drain trial (the backlog the receivers empty).
    var udpDrainMessages = 200_000

    static let quick = Profile(
        seconds: 0.7, repetitions: 1, sweep: [0.25, 0.5, 0.75, 1.0, 1.25, 1.5],
        fanOut: [1, 100, 1000, 10_000], memory: [10_000, 100_000])
    static let full = Profile(
        seconds: 3, repetitions: 3, sweep: [0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5],
        fanOut: [1, 100, 1000, 10_000], memory: [10_000, 100_000])
}
