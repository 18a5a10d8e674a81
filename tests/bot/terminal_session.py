"""`newsbot` under a pseudo-terminal, as a user at a keyboard runs it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class TerminalSession:
    """A child `python -m bot ARGS` whose stdin, stdout and stderr are one terminal."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
        self._master, slave = pty.openpty()
        # A real terminal has a size; tqdm draws nothing on a 0x0 one.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        environ = {**os.environ, "TERM": "xterm", "COLUMNS": "80", "LINES": "24"}
        # prompt_toolkit would otherwise wait for an answer to its cursor-position query.
        environ["PROMPT_TOOLKIT_NO_CPR"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env={**environ, **(env or {})},
            close_fds=True,
        )
        os.close(slave)
        self.output = ""

    def expect(self, text: str, timeout: float = 120) -> str:
        """Read until `text` appears on the screen; everything read so far."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            if left <= 0:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"{text!r} never appeared; screen so far:\n{self.output}")
            ready, _, _ = select.select([self._master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self._master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(
                        f"{text!r} never appeared; the child exited:\n{self.output}"
                    )
                self.output += chunk.decode("utf-8", "replace")
        return self.output

    def send(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    def finish(self, timeout: float = 60) -> int:
        """Wait for the child to exit, draining the terminal; its exit code."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self._master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self._master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
        code = self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self._master)
        return code
