import Glibc
import MailslotSupport

/// What the figures depend on: CPUs, kernel, and the kernel's queue limits.
enum MachineFacts {
    static func summary(profile: String, settings: Profile) -> String {
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let qlen = read("/proc/sys/net/unix/max_dgram_qlen")
        let msgMax = read("/proc/sys/fs/mqueue/msg_max")
        return "mailslot-bench \(BuildInfo.description): profile \(profile) (\(settings.seconds) s per trial, \(settings.repetitions) repetition(s), median); "
            + "\(cpus) CPUs, Linux \(release), net.unix.max_dgram_qlen \(qlen), fs.mqueue.msg_max \(msgMax)\n"
    }

    private static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "?" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, file) != nil else { return "?" }
        return String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "?"
    }
}
