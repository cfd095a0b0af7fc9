"""Serving a test double's Starlette app over real HTTP on 127.0.0.1, inside the test's event loop."""
from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import uvicorn


class _QuietServer(uvicorn.Server):
    """uvicorn server that leaves the process's signal handlers (pytest's Ctrl-C) alone."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield


class LoopbackServer:
    def __init__(self, name: str):
        self.name = name
        self._server: _QuietServer | None = None
        self._task: asyncio.Task | None = None
        self._socket: socket.socket | None = None

    async def start(self, app) -> int:
        """Serve ``app`` on a free port; return the port once the server accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it a response (headers, then body) waits ~40 ms on a delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        config = uvicorn.Config(app, lifespan="off", log_config=None, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=2)
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        deadline = time.monotonic() + 5
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raise the startup error
                raise RuntimeError(f"{self.name} server exited during startup")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} server did not start within 5 s")
            await asyncio.sleep(0.005)
        return sock.getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
            except asyncio.TimeoutError:
                self._server.force_exit = True
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(self._task, timeout=2)
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = self._socket = None
