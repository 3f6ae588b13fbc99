"""Which queries the figures, the comparison and the budgets mark as N+1 groups and duplicates.

A thin view of the analysis layer (Profile.n_plus_one, Profile.duplicates, which honour the
profile's threshold): record ids mapped to a short label, so a chart can colour a bar without
knowing how the groups were found.
"""

from __future__ import annotations

from kit.analysis.budget import duplicate_ids as repeat_ids
from kit.analysis.groups import NPlusOneGroup
from kit.analysis.location import CellNumbers, group_place
from kit.profiles.profile import Profile


def n_plus_one_groups(profile: Profile) -> dict[int, str]:
    """Record id -> label of its N+1 group ("blog.Post.author, line 3"), for records in one."""
    marked: dict[int, str] = {}
    for group in profile.n_plus_one:
        marked.update(dict.fromkeys(group.record_ids, group_label(group, profile.cell_numbers)))
    return marked


def group_label(group: NPlusOneGroup, cells: CellNumbers | None = None) -> str:
    """What the group followed (the relation, else its tables) and the line that sent it."""
    what = str(group.relation) if group.relation else ", ".join(group.tables) or "query"
    return f"{what}, {group_place(group, cells or {})}"


def duplicate_ids(profile: Profile) -> list[int]:
    """Ids of the queries that repeat an earlier one exactly (same SQL, params and database)."""
    return repeat_ids(profile.duplicates)


def duplicate_count(profile: Profile) -> int:
    """How many queries repeat an earlier one exactly (beyond the first of each)."""
    return len(duplicate_ids(profile))
