"""What the benchmarks put between ghbuild and the registry, each in a process of its own.

A hosted registry is a round trip away and runs on someone else's CPU. Here the
registry runs on the same two cores, so the benchmarks keep everything else that a
real network would not add out of the measuring process:

* :class:`DelayRelay` is a TCP relay on 127.0.0.1 that holds every chunk for half the
  round trip in each direction, as a network path does, with Nagle's algorithm off
  and no HTTP parsing: one asyncio loop costs some tens of microseconds per chunk,
  where a threaded HTTP proxy costs about a millisecond per request.
* :class:`TokenService` is the e2e tests' token server (tests/e2e/registry_servers.py)
  in a child process, so that its RSA signing does not take turns at this process's GIL
  with the checks being measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import socket
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

_C = TypeVar("_C", bound="_Child")


class _Child:
    """A child process serving something until stopped; ``ready`` is what it sent back."""

    def __init__(self, target: Callable[..., None], *args: object) -> None:
        ctx = multiprocessing.get_context("spawn")  # the parent may already run threads
        ours, theirs = ctx.Pipe()
        self.process = ctx.Process(target=target, args=(*args, theirs), daemon=True)
        self.process.start()
        if not ours.poll(30):
            self.stop()
            raise RuntimeError(f"{target} did not start within 30 s")
        self.ready = ours.recv()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class DelayRelay(_Child):
    """127.0.0.1:<port> → ``upstream``, every chunk delayed by ``rtt / 2`` each way."""

    def __init__(self, upstream: str, rtt: float) -> None:
        super().__init__(_serve_relay, upstream, rtt)
        self.addr: str = self.ready


class TokenService(_Child):
    """The test token server in a child process; ``auth`` is the registry's auth config."""

    def __init__(self, users: dict[str, str], workdir: Path) -> None:
        super().__init__(_serve_tokens, dict(users), str(workdir))
        self.auth: dict = self.ready


def _serve_tokens(users: dict[str, str], workdir: str, pipe: Connection) -> None:
    from tests.e2e.registry_servers import TokenServer

    tokens = TokenServer(users).start()
    pipe.send(tokens.auth_config(Path(workdir)))
    threading.Event().wait()  # until terminated


def _serve_relay(upstream: str, rtt: float, pipe: Connection) -> None:
    host, port = upstream.rsplit(":", 1)
    asyncio.run(_relay(host, int(port), rtt / 2, pipe))


async def _relay(host: str, port: int, one_way: float, pipe: Connection) -> None:
    async def connection(client_r: asyncio.StreamReader,
                         client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        for writer in (client_w, server_w):
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await asyncio.gather(_pipe(client_r, server_w, one_way),
                                 _pipe(server_r, client_w, one_way))
        finally:
            for writer in (client_w, server_w):
                writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=256)
    pipe.send(f"127.0.0.1:{server.sockets[0].getsockname()[1]}")
    async with server:
        await server.serve_forever()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, delay: float) -> None:
    """Each chunk leaves ``delay`` after it arrived, in order: latency, not a rate limit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            dst.write(data)
            await dst.drain()

    sender = asyncio.create_task(send())
    try:
        while data := await src.read(65536):
            queue.put_nowait((loop.time() + delay, data))
    except OSError:
        pass
    finally:
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(OSError, ConnectionError):
            await sender
        with contextlib.suppress(OSError, RuntimeError):
            if dst.can_write_eof():
                dst.write_eof()
