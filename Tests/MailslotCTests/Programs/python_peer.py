"""The Python binding's test peer: `python_peer.py SLOT TARGET COUNT`.

Creates SLOT, says "ready", waits in select.poll on its descriptor and receives COUNT messages
(printing each as "got ..."), checks info() and a timeout, then writes "from python" to TARGET.
"""
import select
import sys

import mailslot

slot_name, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with mailslot.Slot(slot_name, max_msg_size=424) as slot:
    print("ready", mailslot.version(), flush=True)
    poller = select.poll()
    poller.register(slot.fileno(), select.POLLIN)
    received = 0
    while received < count:
        if not poller.poll(10000):
            sys.exit("no message within 10 s")
        try:
            message = slot.recv(timeout_ms=0)
        except mailslot.MailslotError as error:
            if error.code == mailslot.ETIMEDOUT:  # readable for a datagram that turned out refused
                continue
            raise
        print("got", message.decode(), flush=True)
        received += 1
    max_size, next_size, queued, timeout = slot.info()
    assert (max_size, next_size, queued, timeout) == (424, None, 0, mailslot.WAIT_FOREVER), slot.info()
    try:
        slot.recv(timeout_ms=50)
        sys.exit("a read of an empty slot returned")
    except mailslot.MailslotError as error:
        assert error.code == mailslot.ETIMEDOUT, error
with mailslot.Writer(target) as writer:
    writer.send("from python")
print("done", flush=True)
