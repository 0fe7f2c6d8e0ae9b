/// Who carries the messages in a trial: the project, or one of its baselines.
enum Transport: String, CaseIterable, Sendable {
    /// Mailslots: `MailslotClient` writers, one `MailslotEngine` reading every mailslot.
    case mailslot
    /// Plain C over AF_UNIX datagram sockets (sendmmsg; epoll + recvmmsg).
    case cUnix = "c-af-unix"
    /// Plain C over POSIX message queues (mq_send; epoll + mq_receive).
    case posixMQ = "posix-mq"
}
