"""A live progress line for a long profiled cell: "1,204 queries · 0.8 s in the database · 3.1 s".

A cell running for minutes showed nothing but [*]. From DELAY_S on, one line updates in place
(IPython's display with a display_id) while the cell runs; when it ends the line is replaced by
the profile's summary. A daemon thread polls the recorder's counters (never the records), so
the cost per query is one addition in the recorder; outside a Jupyter kernel (a terminal, a
script, the tests' shell) there is no line at all.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from time import monotonic
from typing import Any

from IPython import get_ipython

from kit.analysis.wording import counted
from kit.profiles.profile import Profile

DELAY_S = 1.0
EVERY_S = 0.5


@dataclass
class ProgressLine:
    """The line itself, as HTML and as text."""

    text: str

    def _repr_html_(self) -> str:
        return f'<p style="color:#555"><em>{escape(self.text)}</em></p>'

    def __repr__(self) -> str:
        return self.text


def progress_text(queries: int, db_ms: float, elapsed_s: float, run: str = "") -> str:
    """ "1,204 queries · 0.8 s in the database · 3.1 s"; "run 2 of 5 · ..." when repeated."""
    parts = [run] if run else []
    parts += [counted(queries, "query"), f"{db_ms / 1000:,.1f} s in the database"]
    parts.append(f"{elapsed_s:,.1f} s")
    return " · ".join(parts)


class PinnedDisplay:
    """An output with a display id, published through the display publisher the cell started
    with, and updated in place (IPython's DisplayHandle.update, same arguments).

    IPython's display() publishes through shell.display_pub as it is at the time: while a
    --verify replay runs, capture_output() has swapped in a capturing publisher, and a progress
    line first shown then (from this module's thread) went into the capture; the profile that
    replaced it updated an output the notebook never had, so the cell showed no profile at all.
    """

    def __init__(self, shell: Any) -> None:
        self._formatter = shell.display_formatter
        self._publisher = shell.display_pub
        self.display_id = uuid.uuid4().hex

    def show(self, obj: object) -> PinnedDisplay:
        """Publish obj as a new output; returns self, to update it."""
        self._publish(obj, update=False)
        return self

    def update(
        self, obj: object, *, metadata: dict[str, Any] | None = None, raw: bool = False
    ) -> None:
        """Replace the output with obj (a mimebundle when raw, with its metadata)."""
        self._publish(obj, update=True, metadata=metadata, raw=raw)

    def _publish(
        self,
        obj: object,
        *,
        update: bool,
        metadata: dict[str, Any] | None = None,
        raw: bool = False,
    ) -> None:
        if raw:
            data = obj
        else:
            data, metadata = self._formatter.format(obj)
        self._publisher.publish(
            data=data,
            metadata=metadata or {},
            transient={"display_id": self.display_id},
            update=update,
        )


def in_kernel(shell: Any) -> bool:
    """True in a Jupyter kernel, where an output can be updated in place (not a terminal)."""
    return getattr(shell, "kernel", None) is not None


class LiveProgress:
    """Shows and updates the progress line from a daemon thread while a cell runs."""

    def __init__(
        self,
        enabled: bool,
        *,
        delay_s: float = DELAY_S,
        every_s: float = EVERY_S,
        show: Callable[[ProgressLine], Any] | None = None,
    ) -> None:
        self.enabled = enabled
        self.delay_s, self.every_s = delay_s, every_s
        self._show = show
        # What the line was shown as: a PinnedDisplay in a kernel (anything with update()).
        self.handle: Any = None
        self._profile: Profile | None = None
        self._run = ""
        self._started = monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, profile: Profile, run: str = "") -> None:
        """Report this profile's counters from now on ("run 2 of 5" when repeated)."""
        self._profile, self._run = profile, run

    def __enter__(self) -> LiveProgress:
        if self.enabled:
            self._started = monotonic()
            if self._show is None:
                # Pinned now, on the cell's thread, before anything can swap the publisher.
                shell = get_ipython()
                if shell is None:
                    return self
                self._show = PinnedDisplay(shell).show
            # The cell's context: ipykernel routes a display to the cell that is running.
            context = contextvars.copy_context()
            self._thread = threading.Thread(
                target=context.run, args=(self._loop,), name="kit-progress", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        if self._stop.wait(self.delay_s):
            return
        while True:
            self._tick()
            if self._stop.wait(self.every_s):
                return

    def _tick(self) -> None:
        profile = self._profile
        if profile is None:
            return
        queries, db_ms = profile.running_totals()
        line = ProgressLine(progress_text(queries, db_ms, monotonic() - self._started, self._run))
        if self.handle is None:
            if self._show is not None:
                self.handle = self._show(line)
        else:
            self.handle.update(line)
