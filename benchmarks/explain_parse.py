"""How long the kit reads a megabyte of SQL before it explains it (or refuses it).

For each text, CPU seconds (time.process_time, the median of --rounds, caches cleared each
round) of what the explain layer reads before the database sees anything: the safety check
(shortened text, every database's reading), the names it looks up, and the column references
the findings use. Then, on the sample database (DATABASE_URL, else data/blog.sqlite3), wall
seconds of explain_records() on one id__in of 100,000 values, plain and ANALYZE.

    .venv/bin/python benchmarks/explain_parse.py [--rounds 5] [--no-database]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from time import perf_counter, process_time

from _django import setup_sample_project


def texts() -> dict[str, str]:
    """About a megabyte each: what Django sends for a long id__in, and what it cannot shorten."""
    in_list = ", ".join(["%s"] * 250_000)
    return {
        "IN of 250,000 %s (1.0 MB)": f'SELECT "t"."id" FROM "t" WHERE "t"."id" IN ({in_list})',
        "VALUES of 100,000 rows (1.0 MB)": "INSERT INTO t (a, b) VALUES "
        + ", ".join(["(%s, %s)"] * 100_000),
        "IN of 140,000 integers (1.3 MB)": "SELECT x FROM t WHERE id IN ("
        + ", ".join(str(10**6 + i) for i in range(140_000))
        + ")",
        "IN of 150,000 strings (1.5 MB, refused)": "SELECT x FROM t WHERE s IN ("
        + ", ".join(f"'v{i}\\\\$'" for i in range(150_000))
        + ") -- c\r\n",
    }


def cpu(step: Callable[[], object], clear: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        clear()
        start = process_time()
        step()
        times.append(process_time() - start)
    return statistics.median(times)


def parse_times(rounds: int) -> None:
    from kit.analysis.fingerprint import sql_shape
    from kit.explain import safety
    from kit.explain.sqlrefs import sql_refs

    def clear() -> None:
        for cached in (safety.shortened, safety._read, safety._refusal, sql_shape, sql_refs):
            cached.cache_clear()

    def read(sql: str) -> None:
        if safety.may_analyze(sql) or len(safety.shortened(sql)) <= safety.MAX_CHECKED:
            safety.statement_names(sql)
            sql_refs(safety.shortened(sql))

    print("| text | check, names, references: CPU s |")
    print("|---|---|")
    for name, sql in texts().items():
        print(f"| {name} | {cpu(lambda sql=sql: read(sql), clear, rounds):.3f} |")


def explain_times(rounds: int) -> None:
    import kit
    from kit.explain import explain_records
    from sample_app.blog.models import Post

    ids = list(Post.objects.values_list("pk", flat=True)[:5]) + list(range(10**6, 10**6 + 99_995))
    try:
        with kit.profile() as profile:
            list(Post.objects.filter(pk__in=ids))
    except Exception as exc:  # SQLite built with a lower limit on parameters
        print(f"the query itself failed: {exc}")
        return
    for mode in ("plain", "analyze"):
        walls = []
        for _ in range(rounds):
            start = perf_counter()
            results = explain_records(profile.queries, mode)
            walls.append(perf_counter() - start)
        outcome = "plan" if results.plans else results.errors[0].message
        print(f"explain_records, {mode}: {statistics.median(walls):.2f} s wall ({outcome})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-database", action="store_true")
    args = parser.parse_args()
    vendor = setup_sample_project()
    parse_times(args.rounds)
    if not args.no_database:
        print(f"on {vendor}:")
        explain_times(args.rounds)


if __name__ == "__main__":
    main()
