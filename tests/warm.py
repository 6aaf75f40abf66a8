"""`kiosk` commands for the suite, each in a process of its own, without paying the imports each time.

The suite runs the `kiosk` command a few hundred times. Each start spends about 1.5 s of CPU importing
SQLAlchemy, pydantic, Alembic and the kiosk's own modules before the command does anything: half of
the whole suite's CPU time on a 2-core machine. So each test worker keeps one *warm* process that has
imported the CLI once and does nothing else (no ledger opened, no thread started), and every command
is a fork of it: a new process with its own pid, the test's argv, environment, working directory and
standard streams (passed as file descriptors), which runs `kiosk.cli.main()` exactly as the console
script does and exits through the interpreter's normal shutdown (atexit, flushes, finalisers), its
exit status reported like `subprocess.run`'s.

What differs from a cold start: modules are imported before the environment is set, so a module that
read the environment at import would see the worker's (the kiosk reads its settings at run time;
tests/test_warm.py keeps it so), and `python -X` options or PYTHON* variables in the test's
environment do not apply. Tests about the process itself (a SIGKILL mid-write, the appliance's
units, the README's commands, start-up time) start the real program with `subprocess`, and
`KIOSK_TEST_COLD=1` makes every command here cold.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_SCRIPT = str(Path(sys.executable).with_name("kiosk"))

# The warm process: imports the CLI, then forks one child per request. Only children return from
# serve(); they run the command at the top level and leave through the normal interpreter exit.
_ZYGOTE = r"""
import json, os, socket, struct, sys, time
import kiosk.cli, kiosk.config, kiosk.desk, kiosk.ledger.service, kiosk.ledger.engine
kiosk.cli._register()
import alembic.command, alembic.config, sqlalchemy.dialects.sqlite
try:
    import sqlalchemy.dialects.postgresql, psycopg
except ImportError:
    pass
sock = socket.socket(fileno=int(sys.argv[1]))

def _exact(n):
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            os._exit(0)
        data += part
    return data

def serve():
    while True:
        head, fds, _, _ = socket.recv_fds(sock, 4, 3)
        if not head:
            os._exit(0)  # the test worker is gone
        head += _exact(4 - len(head))
        request = json.loads(_exact(struct.unpack("!I", head)[0]))
        pid = os.fork()
        if pid == 0:
            sock.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            os.environ.clear()
            os.environ.update(request["env"])
            time.tzset()
            os.chdir(request["cwd"])
            sys.argv = ["kiosk", *request["args"]]
            return
        for fd in fds:
            os.close(fd)
        sock.sendall(struct.pack("!q", pid))
        _, status = os.waitpid(pid, 0)
        sock.sendall(struct.pack("!q", os.waitstatus_to_exitcode(status)))

serve()
del serve, sock
kiosk.cli.main()
"""


class _Warm:
    """One worker's warm process and the socket to it (one command at a time)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
        )
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()

    def close(self) -> None:
        self.sock.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def run(
        self,
        args: Sequence[str],
        *,
        input: str | bytes | None,
        capture_output: bool,
        text: bool,
        env: Mapping[str, str],
        cwd: str,
        timeout: float | None,
    ) -> subprocess.CompletedProcess[Any]:
        request = json.dumps({"args": list(args), "env": dict(env), "cwd": cwd}).encode()
        stdin_r, stdin_w = os.pipe()
        if capture_output:
            out_r, out_w = os.pipe()
            err_r, err_w = os.pipe()
        else:
            out_r, out_w = -1, os.dup(1)
            err_r, err_w = -1, os.dup(2)
        with self.lock:
            try:
                socket.send_fds(
                    self.sock, [struct.pack("!I", len(request)) + request], [stdin_r, out_w, err_w]
                )
            finally:
                for fd in (stdin_r, out_w, err_w):
                    os.close(fd)
            pid = struct.unpack("!q", self._exact(8))[0]
            chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
            readers = [
                threading.Thread(target=_drain, args=(fd, chunks[fd])) for fd in (out_r, err_r) if fd >= 0
            ]
            for reader in readers:
                reader.start()
            data = input.encode() if isinstance(input, str) else (input or b"")
            try:
                if data:
                    os.write(stdin_w, data)
            except BrokenPipeError:
                pass  # the command did not read its input: as with subprocess
            finally:
                os.close(stdin_w)
            self.sock.settimeout(timeout)
            try:
                code = struct.unpack("!q", self._exact(8))[0]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self.sock.settimeout(None)
                self._exact(8)
                raise subprocess.TimeoutExpired(["kiosk", *args], timeout or 0) from None
            finally:
                self.sock.settimeout(None)
                for reader in readers:
                    reader.join()
        out = b"".join(chunks[out_r]) if capture_output else None
        err = b"".join(chunks[err_r]) if capture_output else None
        if text:
            return subprocess.CompletedProcess(
                ["kiosk", *args],
                code,
                None if out is None else out.decode(errors="replace"),
                None if err is None else err.decode(errors="replace"),
            )
        return subprocess.CompletedProcess(["kiosk", *args], code, out, err)

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = self.sock.recv(n - len(data))
            if not part:
                raise RuntimeError("the warm kiosk process died")
            data += part
        return data


def _drain(fd: int, into: list[bytes]) -> None:
    try:
        while chunk := os.read(fd, 65536):
            into.append(chunk)
    finally:
        os.close(fd)


_warm: _Warm | None = None


def _kiosk_args(cmd: Sequence[str | os.PathLike[str]]) -> list[str] | None:
    """The arguments after the program when `cmd` runs the kiosk CLI; None otherwise."""
    parts = [os.fspath(c) for c in cmd]
    if parts and parts[0] in (_SCRIPT, "kiosk"):
        return parts[1:]
    if parts[:3] == [sys.executable, "-m", "kiosk"]:
        return parts[3:]
    return None


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    input: str | bytes | None = None,
    capture_output: bool = False,
    text: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    check: bool = False,
    **other: Any,
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` for the kiosk CLI, forked from the warm process; any other command (or other
    options than these) runs with `subprocess.run` itself."""
    global _warm
    args = _kiosk_args(cmd)
    if args is None or other or os.environ.get("KIOSK_TEST_COLD"):
        return subprocess.run(
            cmd,
            input=input,
            capture_output=capture_output,
            text=text,
            env=env,
            cwd=cwd,
            timeout=timeout,
            check=check,
            **other,
        )
    if _warm is None or _warm.process.poll() is not None:
        _warm = _Warm()
        atexit.register(_warm.close)
    done = _warm.run(
        args,
        input=input,
        capture_output=capture_output,
        text=text,
        env=dict(os.environ if env is None else env),
        cwd=os.fspath(cwd) if cwd is not None else os.getcwd(),
        timeout=timeout,
    )
    if check:
        done.check_returncode()
    return done
