/// Who carries the messages in a trial: the project, or one of its baselines.
enum Transport: String, CaseIterable, Sendable {
    /// Mailslots: `MailslotClient` writers, one `MailslotEngine` reading every mailslot.
    case mailslot
    /// Plain C over AF_UNIX datagram sockets (sendmmsg; epoll + recvmmsg).
    case cUnix = "c-af-unix"
    /// Plain C over POSIX message queues (mq_send; epoll + mq_receive).
    case posixMQ = "posix-mq"
    /// MS-MAIL datagrams on UDP into the engine's datagram service, spread over mailslots.
    case mailslotUDP = "mailslot-udp"
    /// A plain C recvmmsg receiver on the same UDP traffic.
    case cRecvmmsg = "c-recvmmsg"
    /// A SwiftNIO DatagramChannel receiver on the same UDP traffic.
    case swiftNIO = "swift-nio"

    /// Whether writers send UDP datagrams (the blaster) rather than local messages.
    var isUDP: Bool { self == .mailslotUDP || self == .cRecvmmsg || self == .swiftNIO }
}
