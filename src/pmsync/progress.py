"""Progress on a terminal: items fetched of the total per tracker, pages published,
rate-limit waits counting down; the bars clear when the step ends (its summary stays).
Under cron (stderr not a terminal) nothing is drawn and the JSON log lines tell the
same story.

Drawn by rich: it keeps several bars live at once, redraws them from its own thread
(so a countdown moves while a request or a sleep blocks), prints log lines above the
bars instead of through them, and knows when it is not on a terminal.

The steps and connectors report through ``current()``; they never ask whether
anything is shown. ``wants_totals`` tells a connector whether a total is worth a
request of its own (it is not under cron).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """Shows nothing (cron, tests, a pipe): the log lines are the record."""

    wants_totals = False

    def sync_started(self, tracker: str) -> None: ...

    def sync_total(self, tracker: str, total: int, unit: str = "items") -> None:
        """The tracker's own count of what this sync will fetch (e.g. approximate-count)."""

    def sync_part(self, tracker: str, done: int, total: int, unit: str) -> None:
        """Progress through parts of a sync that has no item total (e.g. ClickUp's lists)."""

    def fetched(self, tracker: str, count: int) -> None:
        """Items fetched so far by this tracker's sync (cumulative)."""

    def sync_done(self, tracker: str) -> None: ...

    def publishing(self, total: int) -> None: ...

    def published(self, title: str) -> None: ...

    def waiting(self, seconds: float, who: str) -> None:
        """A rate-limit wait of ``seconds`` starts now."""


_current: Progress = Progress()


def current() -> Progress:
    return _current


class TerminalProgress(Progress):
    wants_totals = True

    def __init__(self, stream: Any):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.console = Console(file=stream, stderr=True)
        self.bars = Bars(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                         MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                         TimeElapsedColumn(), console=self.console, transient=True,
                         refresh_per_second=8, redirect_stdout=False, redirect_stderr=False)
        self.tasks: dict[str, Any] = {}
        self.waits: list[tuple[Any, float, float]] = []  # (task, started, seconds)

    def _task(self, key: str, description: str, total: int | None = None) -> Any:
        if key not in self.tasks:
            self.tasks[key] = self.bars.add_task(description, total=total, note="")
        return self.tasks[key]

    def sync_started(self, tracker: str) -> None:
        self._task(f"sync:{tracker}", f"sync {tracker}")

    def sync_total(self, tracker: str, total: int, unit: str = "items") -> None:
        self.bars.update(self._task(f"sync:{tracker}", f"sync {tracker}"), total=max(total, 0),
                         note=unit)

    def sync_part(self, tracker: str, done: int, total: int, unit: str) -> None:
        self.bars.update(self._task(f"sync:{tracker}", f"sync {tracker}"),
                         note=f"{done}/{total} {unit}")

    def fetched(self, tracker: str, count: int) -> None:
        self._tick()
        task = self._task(f"sync:{tracker}", f"sync {tracker}")
        total = self.bars.tasks[task].total
        if total is not None and count > total:  # link ends outside the projects, etc.
            self.bars.update(task, total=count)
        self.bars.update(task, completed=count)

    def sync_done(self, tracker: str) -> None:
        task = self._task(f"sync:{tracker}", f"sync {tracker}")
        done = self.bars.tasks[task].completed
        self.bars.update(task, total=done, completed=done)

    def publishing(self, total: int) -> None:
        self._task("publish", "publish", total)

    def published(self, title: str) -> None:
        self._tick()
        self.bars.update(self._task("publish", "publish"), advance=1, note=title)

    def waiting(self, seconds: float, who: str) -> None:
        self._tick()
        task = self.bars.add_task(f"{who}: rate limit, waiting", total=round(seconds, 1),
                                  note=f"{seconds:.0f} s")
        self.waits.append((task, time.monotonic(), seconds))

    def _tick(self) -> None:
        """Move the countdowns on (rich redraws; we say how far each wait has got)."""
        now = time.monotonic()
        for task, started, seconds in list(self.waits):
            elapsed = now - started
            if elapsed >= seconds:
                self.bars.update(task, completed=round(seconds, 1), note="done")
                self.waits.remove((task, started, seconds))
            else:
                self.bars.update(task, completed=round(elapsed, 1),
                                 note=f"{seconds - elapsed:.0f} s left")

    @contextmanager
    def shown(self) -> Iterator[None]:
        import threading

        stop = threading.Event()

        def countdown() -> None:  # the waits block the caller: move them from here
            while not stop.wait(0.25):
                self._tick()

        ticker = threading.Thread(target=countdown, daemon=True)
        with self.bars, _logs_above(self.console):
            ticker.start()
            try:
                yield
            finally:
                stop.set()
                ticker.join()
                self._tick()


class _ConsoleHandler(logging.Handler):
    """Log lines printed by the console that draws the bars: above them, not through."""

    def __init__(self, console: Any, formatter: logging.Formatter | None):
        super().__init__()
        self.console = console
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(self.format(record), markup=False, highlight=False,
                               soft_wrap=True)
        except Exception:  # noqa: BLE001 - logging must never break the run
            self.handleError(record)


@contextmanager
def _logs_above(console: Any) -> Iterator[None]:
    root = logging.getLogger("pmsync")
    saved = root.handlers[:]
    formatter = saved[0].formatter if saved else None
    root.handlers[:] = [_ConsoleHandler(console, formatter)]
    try:
        yield
    finally:
        root.handlers[:] = saved


@contextmanager
def on_terminal(stream: Any = None) -> Iterator[Progress]:
    """Progress drawn on ``stream`` (stderr) when it is a terminal, else the silent kind."""
    global _current
    stream = stream or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield _current
        return
    shown = TerminalProgress(stream)
    previous, _current = _current, shown
    try:
        with shown.shown():
            yield shown
    finally:
        _current = previous
