import Glibc
import MailslotSupport

/// What the figures depend on: CPUs, kernel, and the kernel's queue limits.
enum MachineFacts {
    /// The benchmark's first line: its version, the profile, then ``machine()``.
    static func summary(profile: String, settings: Profile) -> String {
        "mailslot-bench \(BuildInfo.description): profile \(profile) (\(settings.seconds) s per trial, \(settings.repetitions) repetition(s), median); "
            + machine() + "\n"
    }

    /// CPUs, kernel and the kernel's queue limits, in one line (the JSON's `machine`).
    static func machine() -> String {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let qlen = read("/proc/sys/net/unix/max_dgram_qlen")
        let msgMax = read("/proc/sys/fs/mqueue/msg_max")
        return "\(cpus) CPUs, Linux \(release), net.unix.max_dgram_qlen \(qlen), fs.mqueue.msg_max \(msgMax)"
    }

    private static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "?" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, file) != nil else { return "?" }
        return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "?"
    }
}
