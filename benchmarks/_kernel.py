"""A fresh Jupyter kernel on the sample project, and the time a profiled cell's outputs take.

The kernel stamps every message it sends (header "date"): the wait a person sees after a cell's
own code ends is the stamp of the cell's last output minus the stamp of a line the cell prints
as its last statement.
"""

from __future__ import annotations

import os
import queue
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from jupyter_client.manager import KernelManager

MARKER = "kit-bench: body done"
OUTPUTS = ("display_data", "update_display_data", "execute_result")


@dataclass
class CellRun:
    """What one cell sent back: its outputs' kinds, and the seconds from its marker line to
    its last output (None without a marker), and the client's round trip."""

    round_trip_s: float
    after_marker_s: float | None
    outputs: list[str] = field(default_factory=list)
    error: str | None = None


class FreshKernel:
    """A new python3 kernel in the repository (the kit finds manage.py there)."""

    def __init__(self, repo: Path, env: dict[str, str] | None = None) -> None:
        self.manager = KernelManager(kernel_name="python3")
        environment = dict(os.environ if env is None else env)
        environment.pop("DJANGO_SETTINGS_MODULE", None)
        self.manager.start_kernel(cwd=str(repo), env=environment)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 600.0) -> CellRun:
        """Execute code; collect its outputs until the kernel is idle again."""
        started = perf_counter()
        msg_id = self.client.execute(code)
        marker = last = None
        outputs: list[str] = []
        error = None
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty as exc:
                raise TimeoutError(f"no answer to {code[:40]!r} in {timeout:.0f} s") from exc
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and MARKER in content.get("text", ""):
                marker = msg["header"]["date"]
            elif kind in OUTPUTS:
                outputs.append(kind)
                last = msg["header"]["date"]
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                break
        round_trip = perf_counter() - started
        after = None
        if marker is not None and last is not None:
            after = (last - marker).total_seconds()
        return CellRun(round_trip, after, outputs, error)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    def __enter__(self) -> FreshKernel:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
