"""A child pmsync on a pseudo-terminal, answered prompt by prompt (pexpect-style, with the
standard library's pty): for what pmsync does only when a person is at a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def plain(text: str) -> str:
    """What a person reads: escape sequences and carriage returns taken out."""
    return ANSI.sub("", text)


class Terminal:
    """A child process on a pseudo-terminal, answered prompt by prompt (pexpect-style)."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None):
        self.master, slave = pty.openpty()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")},
               "COLUMNS": "120", **(env or {})}
        self.proc = subprocess.Popen([sys.executable, "-m", "pmsync.cli", *args], cwd=cwd,
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while not (match := re.search(pattern, self.seen)):
            left = end - time.monotonic()
            assert left > 0, f"no {pattern!r} in:\n{self.seen}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    chunk = os.read(self.master, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    chunk = ""
                assert chunk or self.proc.poll() is None, f"exited; no {pattern!r}:\n{self.seen}"
                self.seen += chunk.replace("\r\n", "\n")
        consumed, self.seen = self.seen[:match.end()], self.seen[match.end():]
        return consumed

    def answer(self, prompt: str, text: str) -> None:
        self.expect(re.escape(prompt))
        os.write(self.master, text.encode() + b"\r")

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        rest = ""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    break
                if not data:
                    break
                rest += data.decode(errors="replace")
            elif self.proc.poll() is not None:
                break
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code, self.seen + rest.replace("\r\n", "\n")
