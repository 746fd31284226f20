"""How the posting writer and its clients talk on the writer's unix socket (transactions/writer.py).

A message: 4-byte length, 1-byte kind, a pickled body. Nothing here imports Django, so that
bench/run.py can ask a running writer for its counts with the very same code.
"""

import pickle
import socket
import struct

_HEADER = struct.Struct("!IB")
# ORDER: a TransferOrder, answered by a Posting, a DomainError or None.
# STATS: no body, answered by {"orders", "batches", "unposted"} so far.
ORDER, STATS = 1, 2


def frame(kind: int, body) -> bytes:
    payload = pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload) + 1, kind) + payload


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(sock: socket.socket) -> tuple[int, object]:
    length, kind = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    return kind, pickle.loads(_read_exactly(sock, length - 1))  # noqa: S301 (only the app may connect)


def ask_stats(path: str, timeout: float = 5.0) -> dict:
    """What the writer listening at `path` has done since it started."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(frame(STATS, None))
        return read_message(sock)[1]
