"""Capture layer: record every query Django sends, from any alias and any thread."""

from __future__ import annotations

from kit.capture.context import capture_queries, resolve_aliases
from kit.capture.recorder import DEFAULT_RECORD_CAP, QueryRecorder, suppress_capture
from kit.capture.records import FingerprintCounter, QueryRecord

__all__ = [
    "DEFAULT_RECORD_CAP",
    "FingerprintCounter",
    "QueryRecord",
    "QueryRecorder",
    "capture_queries",
    "resolve_aliases",
    "suppress_capture",
]
