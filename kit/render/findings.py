"""The findings list shown above the query table, shared by the text, markdown and HTML views."""

from __future__ import annotations

from dataclasses import dataclass

from kit.analysis.findings import Finding
from kit.analysis.verification import Verification, describe, summary
from kit.profiles.profile import Profile

# A short list: the worst ones, then a line that says where the rest are.
MAX_FINDINGS_SHOWN = 10

KIND_LABELS = {
    "n_plus_one": "N+1",
    "write_loop": "write loop",
    "unused_eager_load": "unused eager load",
    "duplicate": "duplicate",
    "similar": "similar",
    "bool": "bool()",
    "len": "len()",
    "count": "count()",
    "repr": "display",
    "aggregates": "aggregates",
    "sync_in_async": "sync ORM in async code",
    "cache_miss": "cache miss",
    "cache_miss_query": "cache miss, then queries",
    "cache_unread": "cache set, not read",
    "cache_key_varies": "cache key varies",
    "cache_stale": "stale cache",
}


@dataclass(frozen=True, slots=True)
class FindingItem:
    """One finding as display strings: "high · N+1", the message, code and notes."""

    label: str
    message: str
    suggestion: str
    notes: tuple[str, ...]
    # What the replay of its fix showed (%%orm_profile --verify), one line per text line.
    verification: tuple[str, ...] = ()


def finding_items(profile: Profile) -> tuple[list[FindingItem], str | None]:
    """The findings to show, worst first, and a line about those left out (or None)."""
    findings = profile.findings
    tried = {v.finding: v for v in profile.verifications if v.finding is not None}
    shown = [_item(f, tried.get(f)) for f in findings[:MAX_FINDINGS_SHOWN]]
    rest = len(findings) - len(shown)
    name = profile.name or "p"
    more = f"{rest:,} more finding{'s' * (rest != 1)} in {name}.findings." if rest > 0 else None
    return shown, more


def _item(finding: Finding, verification: Verification | None = None) -> FindingItem:
    return FindingItem(
        label=f"{finding.severity} · {KIND_LABELS.get(finding.kind, finding.kind)}",
        message=finding.message,
        suggestion=finding.suggestion or "",
        notes=finding.notes,
        verification=tuple(describe(verification).splitlines()) if verification else (),
    )


def verification_summary(profile: Profile) -> str | None:
    """What the cell would cost with all its fixes (%%orm_profile --verify), or None."""
    return summary(profile.verifications)
