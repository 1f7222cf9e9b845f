"""A rogue MySQL server for tests: it accepts any login and the session's ``SET`` statements,
then answers every other query by asking the client for a local file (``LOAD DATA LOCAL
INFILE``'s request), and keeps whatever the client sends back."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_CAPABILITIES = (
    0x0001  # LONG_PASSWORD
    | 0x0004  # LONG_FLAG
    | 0x0008  # CONNECT_WITH_DB
    | 0x0080  # LOCAL_FILES
    | 0x0200  # PROTOCOL_41
    | 0x2000  # TRANSACTIONS
    | 0x8000  # SECURE_CONNECTION
    | 0x20000  # MULTI_RESULTS
    | 0x80000  # PLUGIN_AUTH
)
_OK = b"\x00\x00\x00\x02\x00\x00\x00"


class RogueServer:
    """Listens on 127.0.0.1; ``received`` is every byte of file data clients sent."""

    def __init__(self, wanted: str) -> None:
        self.wanted = wanted
        self.received = b""
        self.requests = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client: socket.socket) -> None:
        with client:
            try:
                self._send(client, 0, _handshake())
                self._read(client)  # the login: any is accepted
                self._send(client, 2, _OK)
                while True:
                    _seq, payload = self._read(client)
                    if not payload or payload[0] == 0x01:  # COM_QUIT
                        return
                    if payload[0] != 0x03 or payload[1:5].upper() == b"SET ":
                        # not a query (ping), or the session set-up PyMySQL reads as OK
                        self._send(client, 1, _OK)
                        continue
                    self.requests += 1
                    self._send(client, 1, b"\xfb" + self.wanted.encode())
                    seq = 2
                    while True:  # the file's packets, then an empty one
                        seq, data = self._read(client)
                        if not data:
                            break
                        self.received += data
                    self._send(client, seq + 1, _OK)
            except (ConnectionError, OSError):
                return

    @staticmethod
    def _send(client: socket.socket, seq: int, payload: bytes) -> None:
        client.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload)

    @staticmethod
    def _read(client: socket.socket) -> tuple[int, bytes]:
        head = _exactly(client, 4)
        length = int.from_bytes(head[:3], "little")
        return head[3], _exactly(client, length)

    def close(self) -> None:
        self._sock.close()


def _exactly(client: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        part = client.recv(n - len(data))
        if not part:
            raise ConnectionError("closed")
        data += part
    return data


def _handshake() -> bytes:
    salt = b"abcdefgh" + b"ijklmnopqrst"
    return (
        b"\x0a"
        + b"5.7.99-rogue\x00"
        + struct.pack("<I", 7)
        + salt[:8]
        + b"\x00"
        + struct.pack("<H", _CAPABILITIES & 0xFFFF)
        + bytes([45])  # utf8mb4
        + struct.pack("<H", 2)
        + struct.pack("<H", _CAPABILITIES >> 16)
        + bytes([21])
        + b"\x00" * 10
        + salt[8:]
        + b"\x00"
        + b"mysql_native_password\x00"
    )


@contextmanager
def rogue_server(wanted: str) -> Iterator[RogueServer]:
    """A :class:`RogueServer` asking for ``wanted``, closed afterwards."""
    server = RogueServer(wanted)
    try:
        yield server
    finally:
        server.close()
