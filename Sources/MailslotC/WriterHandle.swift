import CMailslotAPI
import MailslotEngine

/// A writer handle of the C library: a ``MailslotClient`` and, made on first use, the batch
/// that `msl_send_batch` fills.
final class WriterHandle: @unchecked Sendable {
    /// The writer.
    let client: MailslotClient
    private let batch = ThreadLock<MailslotWriteBatch?>(nil)
    /// Messages per `sendmmsg`.
    static let batchCapacity = 32

    init(client: MailslotClient) {
        self.client = client
    }

    /// Writes one message, waiting up to `milliseconds` for room (`nil`: as long as it takes).
    func write(_ bytes: UnsafeRawBufferPointer, waitingUpTo milliseconds: Int?) throws(MailslotError) {
        try client.write(bytes, waitingUpTo: milliseconds)
    }

    /// Sends `messages` in order, `batchCapacity` per system call, waiting up to `milliseconds`
    /// for room (`nil`: as long as it takes), and stops at the first that cannot go.
    /// - Returns: how many went, and why the rest did not (`nil`: all went).
    func send(_ messages: UnsafeBufferPointer<msl_message>, waitingUpTo milliseconds: Int?) -> (sent: Int, failure: MailslotError?) {
        let deadline = milliseconds.map { monotonicMilliseconds() + Int64($0) }
        return batch.withLock { cached in
            let batch = cached ?? MailslotWriteBatch(capacity: Self.batchCapacity, maxMessageSize: client.messageLimit)
            cached = batch
            defer { batch.removeAll() }
            var sent = 0
            while sent < messages.count {
                let chunk = messages[sent..<min(messages.count, sent + Self.batchCapacity)]
                var refused: MailslotError?
                for message in chunk {
                    guard message.len <= client.messageLimit else {
                        refused = .messageTooLarge(size: message.len, limit: client.messageLimit)
                        break
                    }
                    guard message.len == 0 || message.data != nil else {
                        refused = .invalidParameter("message \(sent + batch.count) has a NULL data pointer")
                        break
                    }
                    let bytes = UnsafeRawBufferPointer(start: message.data, count: message.len)
                    _ = batch.append(length: bytes.count) { buffer in
                        if !bytes.isEmpty { buffer.copyMemory(from: bytes) }
                        return bytes.count
                    }
                }
                let queued = batch.count
                let wait = deadline.map { Int(max(0, $0 - monotonicMilliseconds())) }
                do throws(MailslotError) { sent += try client.write(batch, waitingUpTo: wait) } catch { return (sent, error) }
                if !batch.isEmpty { return (sent, .queueFull) }
                if let refused { return (sent, refused) }
                if queued < chunk.count { return (sent, nil) }
            }
            return (sent, nil)
        }
    }
}
