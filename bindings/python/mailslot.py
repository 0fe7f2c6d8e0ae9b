"""Windows mailslots on Linux, from Python: a ctypes binding of libmailslot's native C API.

    import mailslot
    with mailslot.Slot(r"\\\\.\\mailslot\\jobs") as slot, mailslot.Writer("jobs") as writer:
        writer.send(b"hello")
        print(slot.recv(timeout_ms=1000))           # b'hello'

A Slot is the reader (one per name, in one process); a Writer writes to any name form:
local, \\\\host\\mailslot\\x, \\\\domain\\mailslot\\x or \\\\*\\mailslot\\x. A Slot has fileno(), so it
works with select, selectors and asyncio's add_reader: it is readable while a message is
queued. Failures raise MailslotError, whose .code is the Win32 error code.

The library is found as libmailslot.so.0 on the loader's path, or at $MAILSLOT_LIBRARY.
"""
import ctypes
import os

__all__ = ["Slot", "Writer", "MailslotError", "network_set", "version", "WAIT_FOREVER",
           "ETIMEDOUT", "EMSGSIZE", "EQUOTA", "EEXIST", "ENOENT"]

WAIT_FOREVER = -1
ENOENT, EBADHANDLE, EINVAL, ECLOSED = 2, 6, 87, 109
ETIMEDOUT, EMSGSIZE, EEXIST, ECANCELED, EQUOTA = 121, 122, 183, 995, 1816
NO_MESSAGE = ctypes.c_size_t(-1).value

_lib = ctypes.CDLL(os.environ.get("MAILSLOT_LIBRARY", "libmailslot.so.0"))


class _SlotOptions(ctypes.Structure):
    _fields_ = [("max_msg_size", ctypes.c_uint32), ("read_timeout_ms", ctypes.c_int32),
                ("shared_memory_bytes", ctypes.c_size_t),
                ("writer_uids", ctypes.POINTER(ctypes.c_uint32)), ("writer_uid_count", ctypes.c_size_t),
                ("writer_gids", ctypes.POINTER(ctypes.c_uint32)), ("writer_gid_count", ctypes.c_size_t)]


class _SlotInfo(ctypes.Structure):
    _fields_ = [("max_msg_size", ctypes.c_uint32), ("next_size", ctypes.c_size_t),
                ("msg_count", ctypes.c_size_t), ("read_timeout_ms", ctypes.c_int32)]


_handle = ctypes.c_void_p
_signatures = {
    "msl_slot_options_init": (None, [ctypes.POINTER(_SlotOptions)]),
    "msl_slot_create": (ctypes.c_int, [ctypes.POINTER(_handle), ctypes.c_char_p, ctypes.POINTER(_SlotOptions)]),
    "msl_recv_timeout": (ctypes.c_int, [_handle, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_int32]),
    "msl_recv": (ctypes.c_int, [_handle, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]),
    "msl_slot_info": (ctypes.c_int, [_handle, ctypes.POINTER(_SlotInfo)]),
    "msl_slot_set_timeout": (ctypes.c_int, [_handle, ctypes.c_int32]),
    "msl_slot_fd": (ctypes.c_int, [_handle, ctypes.POINTER(ctypes.c_int)]),
    "msl_slot_close": (ctypes.c_int, [_handle]),
    "msl_writer_open": (ctypes.c_int, [ctypes.POINTER(_handle), ctypes.c_char_p]),
    "msl_send_timeout": (ctypes.c_int, [_handle, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int32]),
    "msl_writer_close": (ctypes.c_int, [_handle]),
    "msl_network_set": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p]),
    "msl_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "msl_error_detail": (ctypes.c_char_p, []),
    "msl_version": (ctypes.c_char_p, []),
}
for _name, (_result, _arguments) in _signatures.items():
    _function = getattr(_lib, _name)
    _function.restype = _result
    _function.argtypes = _arguments


class MailslotError(OSError):
    """A failed call: .code is the Win32 error code (ETIMEDOUT, EQUOTA, ...)."""

    def __init__(self, code):
        self.code = code
        detail = _lib.msl_error_detail().decode(errors="replace")
        super().__init__(code, _lib.msl_strerror(code).decode() + (": " + detail if detail else ""))


def _check(code):
    if code != 0:
        raise MailslotError(code)


def _name(text):
    return text.encode() if isinstance(text, str) else bytes(text)


class Slot:
    """A mailslot this process creates and reads (CreateMailslot)."""

    def __init__(self, name, max_msg_size=0, read_timeout_ms=WAIT_FOREVER, shared_memory_bytes=0):
        options = _SlotOptions()
        _lib.msl_slot_options_init(ctypes.byref(options))
        options.max_msg_size = max_msg_size
        options.read_timeout_ms = read_timeout_ms
        options.shared_memory_bytes = shared_memory_bytes
        self._handle = _handle()
        _check(_lib.msl_slot_create(ctypes.byref(self._handle), _name(name), ctypes.byref(options)))
        self._buffer = ctypes.create_string_buffer(65536)

    def recv(self, timeout_ms=None):
        """The next whole message as bytes; waits per the read timeout, or timeout_ms."""
        length = ctypes.c_size_t(len(self._buffer))
        if timeout_ms is None:
            code = _lib.msl_recv(self._handle, self._buffer, ctypes.byref(length))
        else:
            code = _lib.msl_recv_timeout(self._handle, self._buffer, ctypes.byref(length), timeout_ms)
        if code == EMSGSIZE:  # a message larger than the buffer stays queued: grow and take it
            self._buffer = ctypes.create_string_buffer(length.value)
            return self.recv(0)
        _check(code)
        return self._buffer.raw[:length.value]

    def info(self):
        """(max_msg_size, next_size or None, msg_count, read_timeout_ms), as GetMailslotInfo."""
        info = _SlotInfo()
        _check(_lib.msl_slot_info(self._handle, ctypes.byref(info)))
        next_size = None if info.next_size == NO_MESSAGE else info.next_size
        return info.max_msg_size, next_size, info.msg_count, info.read_timeout_ms

    def set_timeout(self, read_timeout_ms):
        """Sets the read timeout (SetMailslotInfo): 0, milliseconds, or WAIT_FOREVER."""
        _check(_lib.msl_slot_set_timeout(self._handle, read_timeout_ms))

    def fileno(self):
        """A descriptor readable while a message is queued (for select, poll, asyncio)."""
        fd = ctypes.c_int(-1)
        _check(_lib.msl_slot_fd(self._handle, ctypes.byref(fd)))
        return fd.value

    def close(self):
        """Closes the mailslot: unread messages go, and the name is free at once."""
        if self._handle:
            _check(_lib.msl_slot_close(self._handle))
            self._handle = _handle()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


class Writer:
    """An opened mailslot name, for writing (CreateFile + WriteFile)."""

    def __init__(self, name):
        self._handle = _handle()
        _check(_lib.msl_writer_open(ctypes.byref(self._handle), _name(name)))

    def send(self, message, timeout_ms=0):
        """Writes one message (bytes or str); waits up to timeout_ms for room (0: never waits)."""
        data = message.encode() if isinstance(message, str) else bytes(message)
        _check(_lib.msl_send_timeout(self._handle, data, len(data), timeout_ms))

    def close(self):
        """Closes the writer."""
        if self._handle:
            _check(_lib.msl_writer_close(self._handle))
            self._handle = _handle()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


def network_set(key, value):
    """Sets a network setting for remote and domain names (see msl_network_set)."""
    _check(_lib.msl_network_set(key.encode(), str(value).encode()))


def version():
    """The library's version."""
    return _lib.msl_version().decode()
