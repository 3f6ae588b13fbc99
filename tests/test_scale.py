"""Big cells: what a 10,000- or 100,000-query cell saves in the notebook stays small.

Sizes only; times are measured by benchmarks/render.py, never in tests.
"""

from __future__ import annotations

import json
import random

from IPython.core.formatters import DisplayFormatter

from kit.profiles.profile import Profile
from kit.render.figures import find_browser
from kit.render.outputs import OutputOptions, profile_outputs
from tests.profiles import make_profile, record

MB = 1_000_000
# What two PNGs may take when kaleido finds no browser here (benchmarks: ~300 KB together).
PNG_ALLOWANCE = 400_000


def big_profile(count: int) -> Profile:
    """`count` queries of twelve shapes, each with its own params, from twelve cell lines."""
    rng = random.Random(0)
    shapes = [
        f'SELECT "t{n}"."id", "t{n}"."name" FROM "t{n}" WHERE "t{n}"."id" = %s LIMIT 21'
        for n in range(12)
    ]
    records, clock = [], 0.0
    for i in range(count):
        n = rng.randrange(12)
        duration = rng.uniform(0.02, 0.4)
        records.append(
            record(
                i,
                shapes[n],
                (rng.randrange(10**6),),
                start_ms=clock,
                duration_ms=duration,
                line=2 + n,
            )
        )
        clock += duration + 0.03
    return make_profile(records)


def saved_bytes(profile: Profile, static_images: bool) -> tuple[int, list[dict]]:
    """The size of the outputs as a notebook saves them (JSON), and the bundles."""
    formatter = DisplayFormatter()
    options = OutputOptions(static_images=static_images)
    bundles = [formatter.format(part)[0] for part in profile_outputs(profile, options)]
    return len(json.dumps(bundles)), bundles


def test_a_10000_query_cell_saves_under_1_mb():
    profile = big_profile(10_000)
    with_png = find_browser() is not None
    size, bundles = saved_bytes(profile, static_images=with_png)
    assert size < (MB if with_png else MB - PNG_ALLOWANCE)
    timeline = bundles[1]["application/vnd.plotly.v1+json"]
    assert "time bins" in timeline["layout"]["title"]["subtitle"]["text"]


def test_a_100000_query_cell_still_renders_binned_and_small():
    profile = big_profile(100_000)
    size, bundles = saved_bytes(profile, static_images=False)
    assert size < MB - PNG_ALLOWANCE
    timeline = bundles[1]["application/vnd.plotly.v1+json"]
    assert sum(len(t["customdata"]["bdata"]) for t in timeline["data"]) < 100_000
    assert bundles[0]["text/plain"].startswith("100,000 queries · ")
