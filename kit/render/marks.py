"""Which queries to mark as duplicates and N+1 groups: the seam to the analysis layer.

STAND-IN, to be replaced by issue 3's analysis (kit.analysis): the timeline, the comparison,
the budgets and their tests read duplicates and N+1 groups only through these functions, so
swapping in the real analysis changes the bodies of `n_plus_one_groups` and `duplicate_ids`
and nothing else. The rules here are deliberately minimal:

- a duplicate is a query with the same SQL and params as an earlier one;
- an N+1 group is at least `N_PLUS_ONE_MIN` queries of one fingerprint sent from one source
  line with different params.
"""

from __future__ import annotations

import os
from collections import defaultdict

from kit.analysis.fingerprint import sql_shape
from kit.render.profile import Profile

N_PLUS_ONE_MIN = 3


def n_plus_one_groups(profile: Profile) -> dict[int, str]:
    """Record id -> label of its N+1 group ("blog_post, line 4"), for records in one."""
    groups: dict[tuple[str, str | None, int | None], list[int]] = defaultdict(list)
    params: dict[tuple[str, str | None, int | None], set[str]] = defaultdict(set)
    for record in profile.queries:
        key = (sql_shape(record.sql).fingerprint, record.source_file, record.source_lineno)
        groups[key].append(record.id)
        params[key].add(repr(record.params))
    marked: dict[int, str] = {}
    for key, ids in groups.items():
        if len(ids) < N_PLUS_ONE_MIN or len(params[key]) < 2:
            continue
        label = _group_label(profile, *key)
        marked.update(dict.fromkeys(ids, label))
    return marked


def _group_label(profile: Profile, fingerprint: str, file: str | None, lineno: int | None) -> str:
    tables = ", ".join(sql_shape(fingerprint).tables) or "query"
    if file is None:
        return tables
    if file == profile.cell_filename:
        return f"{tables}, line {lineno}"
    return f"{tables}, {os.path.basename(file)}:{lineno}"


def duplicate_ids(profile: Profile) -> list[int]:
    """Ids of the queries that repeat an earlier one exactly (same SQL, same params)."""
    seen: set[tuple[str, str]] = set()
    repeats = []
    for record in profile.queries:
        key = (record.sql, repr(record.params))
        if key in seen:
            repeats.append(record.id)
        else:
            seen.add(key)
    return repeats


def duplicate_count(profile: Profile) -> int:
    """How many queries repeat an earlier one exactly (beyond the first of each)."""
    return len(duplicate_ids(profile))
