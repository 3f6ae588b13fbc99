"""Warm the render path: run it once on a tiny made-up profile, before the first real cell.

The first profiled cell of a kernel waited 2.3-2.6 s after its code for imports (plotly,
its validators, the kit's render modules) and 3 s more for kaleido's browser and plotly.js in
it (issue 16). `%load_ext kit` runs this in a background thread, so that work is done while
the person writes or the first cell runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kit.capture.records import QueryRecord
from kit.profiles.profile import Profile
from kit.render.outputs import OutputOptions, profile_outputs

# A loop's N+1 and two other shapes: the findings, the timeline's marks, the charts and the
# table all run.
_SHAPES = (
    ('SELECT "w"."id" FROM "w" WHERE "w"."k" = %s', 4),
    ('SELECT COUNT(*) AS "__count" FROM "v"', 1),
    ('SELECT "u"."id" FROM "u" INNER JOIN "w" ON ("u"."w_id" = "w"."id")', 1),
)


def warm_profile() -> Profile:
    """A finished profile of six made-up queries of three shapes."""
    records: list[QueryRecord] = []
    for line, (sql, count) in enumerate(_SHAPES, start=2):
        for _ in range(count):
            number = len(records)
            records.append(
                QueryRecord(
                    id=number, alias="default", vendor="sqlite", sql=sql, params=(number,),
                    many=False, start_ms=float(number), duration_ms=0.5, thread="MainThread",
                    source_file="<kit-warm-up>", source_lineno=line, line=line,
                )
            )  # fmt: skip
    return Profile.of_records(
        records,
        started_at=datetime.now(UTC),
        wall_time_ms=10.0,
        cell="%%orm_profile\nloop()\ncount()\njoin()\n",
        cell_filename="<kit-warm-up>",
    )


def warm_render(static_images: bool = True) -> list[Any]:
    """Every output of the warm profile, formatted as the notebook formats them (PNG copies
    included when asked: that starts kaleido's browser and loads plotly.js into it)."""
    bundles = []
    for part in profile_outputs(warm_profile(), OutputOptions(static_images=static_images)):
        bundle = getattr(part, "_repr_mimebundle_", None)
        bundles.append(bundle() if bundle else (part._repr_html_(), repr(part)))
    return bundles
