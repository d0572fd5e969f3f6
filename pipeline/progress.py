"""Progress for long steps: a live bar on a terminal, quiet log lines under cron.

The scan hands one `Progress` object to every stage function (``progress=...``). A stage reports
through either of two equivalent forms, whichever suits its loop:

    with progress.step("language", total=len(docs)) as step:   # a context manager
        for doc in docs:
            ...
            step.advance()            # or step.advance(len(batch)), step.update(done)

    progress("embeddings", done, total)                        # a plain call, e.g. from a callback
    progress("waz: 12 fetched, 3 new")                         # a sentence between steps

`Progress` itself prints nothing, so a stage may always call it; `make_progress()` picks the right
one for where the output goes: `RichProgress` (done/total, rate, time left) when stderr is a
terminal, `LogProgress` (one `logging` line per ~10 % or per `interval` seconds) when it is not,
so a cron mail or a systemd journal gets a handful of readable lines instead of control codes.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

log = logging.getLogger("foresight.progress")


@dataclass
class StepState:
    """Where one step stands: what is done of how much, since when."""

    name: str
    total: int | None = None
    done: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        """Items per second so far (0 before the first item)."""
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 and self.done else 0.0

    def seconds_left(self) -> float | None:
        """Estimated seconds to finish at the current rate, or None when it cannot be told."""
        rate = self.rate()
        if self.total is None or rate <= 0:
            return None
        return max(self.total - self.done, 0) / rate

    def describe(self) -> str:
        """One human line: ``language: 1,200/3,000 (40%), 350/s, about 5s left``."""
        if self.total:
            head = f"{self.name}: {self.done:,}/{self.total:,} ({100 * self.done / self.total:.0f}%)"
        else:
            head = f"{self.name}: {self.done:,}"
        parts = [head]
        if self.rate():
            parts.append(f"{self.rate():,.1f}/s")
        left = self.seconds_left()
        if left is not None and self.done < (self.total or 0):
            parts.append(f"about {format_seconds(left)} left")
        return ", ".join(parts)


class StepHandle:
    """What a stage holds while it works on one step."""

    def __init__(self, progress: Progress, state: StepState) -> None:
        self._progress = progress
        self.state = state

    def advance(self, n: int = 1) -> None:
        self.update(self.state.done + n)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.state.total = total
        self.state.done = done
        self._progress._changed(self.state)


class Progress:
    """The silent base: accepts every report and prints nothing (tests, library use)."""

    def __init__(self) -> None:
        self._steps: dict[str, StepState] = {}

    @contextmanager
    def step(self, name: str, total: int | None = None) -> Iterator[StepHandle]:
        """Report one step from start to end; the end is reported even if the step raises."""
        state = StepState(name, total)
        self._steps[name] = state
        self._started(state)
        try:
            yield StepHandle(self, state)
        finally:
            self._steps.pop(name, None)
            self._finished(state)

    def __call__(self, name: str, done: int | None = None, total: int | None = None) -> None:
        """Report `done` of `total` for the step `name`, starting it on first sight.

        Called with a text only (``progress("waz: 12 fetched, 3 new")``) it is a `message`, so a
        stage that reports in sentences can take the same object.
        """
        if done is None:
            self.message(name)
            return
        state = self._steps.get(name)
        if state is None:
            state = StepState(name, total)
            self._steps[name] = state
            self._started(state)
        if total is not None:
            state.total = total
        state.done = done
        self._changed(state)
        if state.total is not None and done >= state.total:
            self._steps.pop(name, None)
            self._finished(state)

    def message(self, text: str) -> None:
        """A one-off line between steps (a stage finished, a source was skipped)."""

    def close(self) -> None:
        """End any step still open (a call-style step that never reached its total)."""
        for state in list(self._steps.values()):
            self._finished(state)
        self._steps.clear()

    # Hooks for subclasses.
    def _started(self, state: StepState) -> None:
        pass

    def _changed(self, state: StepState) -> None:
        pass

    def _finished(self, state: StepState) -> None:
        pass


class LogProgress(Progress):
    """Line-oriented progress for cron and pipes: start, about every 10 % or `interval` s, end."""

    def __init__(self, logger: logging.Logger | None = None, interval: float = 30.0) -> None:
        super().__init__()
        self.logger = logger or log
        self.interval = interval
        self._last: dict[str, tuple[float, int]] = {}

    def _started(self, state: StepState) -> None:
        total = f" ({state.total:,} to do)" if state.total is not None else ""
        self.logger.info("%s: started%s", state.name, total)
        self._last[state.name] = (time.monotonic(), 0)

    def _changed(self, state: StepState) -> None:
        last_time, last_decile = self._last.get(state.name, (state.started, 0))
        decile = int(10 * state.done / state.total) if state.total else 0
        now = time.monotonic()
        if decile > last_decile or now - last_time >= self.interval:
            if state.total is None or state.done < state.total:
                self.logger.info("%s", state.describe())
            self._last[state.name] = (now, decile)

    def _finished(self, state: StepState) -> None:
        elapsed = time.monotonic() - state.started
        self.logger.info("%s: done, %s items in %s", state.name, f"{state.done:,}", format_seconds(elapsed))
        self._last.pop(state.name, None)

    def message(self, text: str) -> None:
        self.logger.info("%s", text)


class RichProgress(Progress):
    """A live bar per step on a terminal: description, bar, done/total, rate, time left."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBar

        self._console = Console(file=stream or sys.stderr)
        self._bar = RichBar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("elapsed,"),
            TimeRemainingColumn(),
            TextColumn("left"),
            console=self._console,
            transient=False,
        )
        self._tasks: dict[str, object] = {}
        self._running = False

    def _started(self, state: StepState) -> None:
        if not self._running:
            self._bar.start()
            self._running = True
        self._tasks[state.name] = self._bar.add_task(state.name, total=state.total, rate="")

    def _changed(self, state: StepState) -> None:
        task = self._tasks.get(state.name)
        if task is not None:
            rate = state.rate()
            self._bar.update(task, completed=state.done, total=state.total, rate=f"{rate:,.1f}/s" if rate else "")

    def _finished(self, state: StepState) -> None:
        task = self._tasks.pop(state.name, None)
        if task is not None:
            self._bar.update(task, completed=state.done, total=state.total or state.done)
        if not self._tasks and self._running:
            self._bar.stop()
            self._running = False

    def message(self, text: str) -> None:
        self._console.print(text, highlight=False, soft_wrap=True)

    def close(self) -> None:
        super().close()
        if self._running:
            self._bar.stop()
            self._running = False


def make_progress(stream: IO[str] | None = None, *, quiet: bool = False) -> Progress:
    """Rich bars on a terminal, log lines elsewhere, nothing when `quiet`."""
    if quiet:
        return Progress()
    target = stream or sys.stderr
    if hasattr(target, "isatty") and target.isatty():
        return RichProgress(target)
    return LogProgress()


def format_seconds(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``: short enough for a progress line."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
