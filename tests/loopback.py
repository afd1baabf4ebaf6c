"""Refuse, in this process, every connection and name lookup that would leave loopback, and remember each.

The pytest side is `tests/network_guard.py`. The processes the tests start (local stacks) are guarded
too: they import this module from a `sitecustomize` the plugin puts on their PYTHONPATH and append
what they refuse to the file named by `LOG_VARIABLE`, which the test process reads. Kept free of pytest
so that it costs those processes nothing.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Where the processes the tests start append what they refused, one line each.
LOG_VARIABLE = "LOOPBACK_GUARD_LOG"


class LeavesLoopback(ConnectionRefusedError):
    """Raised instead of connecting past loopback: a refusal is what every client already handles."""


@dataclass
class _Refusals:
    in_test_process: bool = False  # the test process keeps its own here; the others write to the log
    kept: list[str] = field(default_factory=list)
    log_taken: int = 0  # bytes of the log the test process has read
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str) -> None:
        entry = f"{what} (pid {os.getpid()}, thread {threading.current_thread().name})"
        log = os.environ.get(LOG_VARIABLE)
        with self.lock:
            if self.in_test_process or not log:
                self.kept.append(entry)
            else:
                with open(log, "a", encoding="utf-8") as out:
                    out.write(entry + "\n")

    def take(self) -> list[str]:
        with self.lock:
            taken, self.kept = self.kept, []
            log = os.environ.get(LOG_VARIABLE)
            if log and os.path.exists(log):
                with open(log, "rb") as lines:
                    lines.seek(self.log_taken)
                    written = lines.read()
                complete = written[: written.rfind(b"\n") + 1]  # a line still being written is taken next time
                self.log_taken += len(complete)
                taken += complete.decode().splitlines()
        return taken


_refusals = _Refusals()


def is_loopback(host: object) -> bool:
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name that would need DNS


def _refuse(what: str) -> LeavesLoopback:
    _refusals.add(what)
    return LeavesLoopback(f"the tests may not connect past loopback: {what}")


def _guarded_method(real: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: socket.socket, *args: Any) -> Any:
        address = args[-1]  # connect(address), connect_ex(address), sendto(data[, flags], address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise _refuse(f"connect to {address[0]}:{address[1]}")
        return real(self, *args)

    return guarded


def _guarded_getaddrinfo(real: Callable[..., Any]) -> Callable[..., Any]:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if not is_loopback(name):
            try:
                ipaddress.ip_address(name)  # a literal address needs no DNS; connect() checks where it goes
            except ValueError:
                raise _refuse(f"resolve {name}") from None
        return real(host, *args, **kwargs)

    return getaddrinfo


def install(setattr: Callable[[Any, str, Any], None], *, test_process: bool = False) -> None:
    """Guard this process's sockets, through `setattr` (pytest's monkeypatch in the test process)."""
    _refusals.in_test_process = test_process
    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, _guarded_method(getattr(socket.socket, name)))
    setattr(socket, "getaddrinfo", _guarded_getaddrinfo(socket.getaddrinfo))


def take_refused() -> list[str]:
    """What this process, and those it started, refused since the last call."""
    return _refusals.take()
