"""`rawstore bench`'s progress: a bar with rate and ETA per phase on a terminal (with `rich`, the `bench` extra),
plain lines otherwise.

A phase is one timed step of the bench (saving the messages, timing pages, ...). The bench announces each with a
title line, then reports the work done as it goes: `tick(n)` after each batch or call. Plain lines go to stderr
(stdout carries only the result table), prefixed `rawstore bench:` like every other line of the bench's log, so a
CI log or a pipe gets a readable, grep-able record: the title, a line at each tenth of a long phase (at most one a
second), and a closing line with the count, the time and the rate.
"""

from __future__ import annotations

import abc
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, TextIO

Tick = Callable[[int], None]


class Progress(abc.ABC):
    """Where the bench reports what it is doing. Use as a context manager around the whole run."""

    @abc.abstractmethod
    def log(self, message: str) -> None:
        """One line of the bench's log."""

    @abc.abstractmethod
    def phase(self, title: str, *, total: int, unit: str, label: str) -> AbstractContextManager[Tick]:
        """A phase of `total` units (`unit`: "rows", "calls"): `title` is logged, `label` names its bar; the
        callable it yields records `n` more units done."""

    def close(self) -> None:  # noqa: B027 (plain lines have nothing to stop)
        """Stop drawing (the result table follows on stdout)."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    m, s = divmod(seconds, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class PlainProgress(Progress):
    """Plain lines on a stream (stderr by default): for logs, pipes and terminals without `rich`."""

    STEPS = 10
    MIN_INTERVAL = 1.0  # seconds between two in-phase lines

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.perf_counter) -> None:
        self._stream = stream
        self._clock = clock

    def log(self, message: str) -> None:
        print(f"rawstore bench: {message}", file=self._stream or sys.stderr, flush=True)

    @contextmanager
    def phase(self, title: str, *, total: int, unit: str, label: str) -> Iterator[Tick]:
        self.log(title)
        start = last = self._clock()
        done = 0
        step = max(1, -(-total // self.STEPS))

        def tick(n: int) -> None:
            nonlocal done, last
            before, done = done, done + n
            now = self._clock()
            if done < total and done // step > before // step and now - last >= self.MIN_INTERVAL:
                last = now
                rate = done / max(now - start, 1e-9)
                eta = (total - done) / rate if rate > 0 else 0.0
                self.log(f"  {label}: {done:,} / {total:,} {unit} ({rate:,.0f} {unit}/s, ETA {_duration(eta)})")

        yield tick
        spent = self._clock() - start
        self.log(f"  {label}: done, {done:,} {unit} in {spent:.2f} s ({done / max(spent, 1e-9):,.0f} {unit}/s)")


class RichProgress(Progress):
    """One `rich` progress bar per phase on stderr, with its rate, elapsed time and ETA; log lines above them."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bars
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                # A finished phase shows its average; a running one rich's recent speed, or the average so far
                # until rich has two samples (a phase of one batch never has).
                if task.finished and task.finished_time:
                    speed = task.completed / task.finished_time
                else:
                    speed = task.speed or (task.completed / task.elapsed if task.completed and task.elapsed else None)
                unit = task.fields.get("unit", "")
                return Text("?" if speed is None else f"{speed:,.0f} {unit}/s", style="progress.data.speed")

        self._bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._bars.start()

    def log(self, message: str) -> None:
        self._bars.console.print(f"rawstore bench: {message}", markup=False, highlight=False)

    @contextmanager
    def phase(self, title: str, *, total: int, unit: str, label: str) -> Iterator[Tick]:
        self.log(title)
        task = self._bars.add_task(label, total=total, unit=unit)

        def tick(n: int) -> None:
            self._bars.advance(task, n)

        yield tick
        self._bars.stop_task(task)

    def close(self) -> None:
        self._bars.stop()


def rich_installed() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def make_progress(stream: TextIO | None = None) -> Progress:
    """A bar when `stream` (default stderr) is a terminal and `rich` is installed; plain lines otherwise."""
    out = stream or sys.stderr
    isatty = getattr(out, "isatty", None)
    if callable(isatty) and isatty():
        if rich_installed():
            return RichProgress()
        plain = PlainProgress(stream)
        plain.log("progress as plain lines: install rawstore[bench] (rich) for progress bars")
        return plain
    return PlainProgress(stream)
