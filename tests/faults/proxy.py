"""A local TCP proxy that adds latency and can cut every connection at once.

127.0.0.1 only, in a background thread with its own asyncio loop. Each chunk of bytes is
delivered ``delay`` seconds after it arrived, in order, in both directions (so a round trip
costs ``2 * delay``) without capping throughput. Bounded: at most ``max_connections`` at once
and at most ``max_buffered`` bytes in flight per direction (the reader waits beyond that).
:meth:`cut` aborts every connection (the peers see a reset) and stops accepting new ones, like
a network that went away.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator


class LatencyProxy:
    def __init__(
        self,
        target_port: int,
        *,
        delay: float = 0.025,
        max_connections: int = 64,
        max_buffered: int = 8 * 1024 * 1024,
    ) -> None:
        self.target_port = target_port
        self.delay = delay
        self.max_connections = max_connections
        self.max_buffered = max_buffered
        self.port = 0
        self.connections = 0  # accepted so far
        self.bytes_up = 0  # client -> server
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._cut = False

    # --- control (from the test's thread) ---------------------------------------------------

    def start(self) -> LatencyProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def cut(self) -> None:
        """Abort every connection and refuse new ones."""
        asyncio.run_coroutine_threadsafe(self._cut_all(), self._loop).result(10)

    def close(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.cut()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_running():
            self._loop.close()

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"

    # --- inside the loop --------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut_all(self) -> None:
        self._cut = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._cut or len(self._writers) >= 2 * self.max_connections:
            client_w.transport.abort()
            return
        self.connections += 1
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        self._writers.update((client_w, server_w))
        try:
            await asyncio.gather(
                self._pipe(client_r, server_w, up=True),
                self._pipe(server_r, client_w, up=False),
            )
        finally:
            for w in (client_w, server_w):
                self._writers.discard(w)
                w.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, up: bool
    ) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        room = asyncio.Semaphore(max(1, self.max_buffered // 65536))

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    writer.transport.abort()
                    return
                writer.write(data)
                await writer.drain()
                room.release()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                await room.acquire()
                data = await reader.read(65536)
                if up:
                    self.bytes_up += len(data)
                await queue.put((time.monotonic() + self.delay, data))
                if not data:
                    break
            await sender
        except (ConnectionError, OSError):
            writer.transport.abort()
        finally:
            sender.cancel()


@contextlib.contextmanager
def latency_proxy(target_port: int, delay: float = 0.025) -> Iterator[LatencyProxy]:
    proxy = LatencyProxy(target_port, delay=delay).start()
    try:
        yield proxy
    finally:
        proxy.close()
