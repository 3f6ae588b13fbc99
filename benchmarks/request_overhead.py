"""What profiling a request costs: bare, inside kit.profile(), under QueryProfileMiddleware.

Three pages of the sample app through Django's test client: /posts/ (a template with an N+1:
81 queries), /api/posts/ (a DRF serializer with nested fields: 84), /posts/<pk>/ (a detail
page: a few). Variants run interleaved in every round (order rotated); figures are medians of
CPU time (time.process_time), the ratio the median of each round's own ratio. The middleware
is measured with a budget it keeps (max_queries 1,000: the count alone) and with one it breaks
(max_queries 10 and no N+1: every request is grouped, analysed and logged, to a logger that
drops it).
Run from the repository root after `make sample-data`:

    .venv/bin/python benchmarks/request_overhead.py [--rounds 15] [--requests 20]
"""

from __future__ import annotations

import argparse
import logging
import statistics
from collections.abc import Callable
from functools import partial
from time import perf_counter, process_time

from _django import setup_sample_project
from _walk import walk_cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=20, help="requests per timed run")
    args = parser.parse_args()
    vendor = setup_sample_project()

    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    import kit
    from sample_app.blog.models import Post

    logging.getLogger("kit.requests").addHandler(logging.NullHandler())
    logging.getLogger("kit.requests").propagate = False
    detail = Post.objects.filter(published=True).order_by("pk").values_list("pk", flat=True)[0]
    pages = ["/posts/", "/api/posts/", f"/posts/{detail}/"]
    middleware = ["kit.django.QueryProfileMiddleware", *settings.MIDDLEWARE]
    client = Client()

    def client_with(budget: dict[str, object]) -> Client:
        """A client whose handler has the middleware: Django builds a client's middleware
        chain on its first request and keeps it, with the budget read then."""
        with override_settings(MIDDLEWARE=middleware, KIT_BUDGET=budget):
            made = Client()
            made.get(pages[-1])
        return made

    kept = client_with({"max_queries": 1000})
    broken = client_with({"max_queries": 10, "n_plus_one": False})

    def profiled(url: str) -> None:
        with kit.profile():
            client.get(url)

    variants: dict[str, Callable[[str], object]] = {
        "bare": client.get,
        "kit.profile()": profiled,
        "middleware, budget kept": kept.get,
        "middleware, budget broken": broken.get,
    }
    assert "Server-Timing" in kept.get(pages[-1]) and "Server-Timing" not in client.get(pages[-1])

    for url in pages:
        queries = kit.profile_request(client, url).query_count
        names = list(variants)
        cpu: dict[str, list[float]] = {name: [] for name in names}
        wall: dict[str, list[float]] = {name: [] for name in names}
        for fn in variants.values():
            fn(url)  # warm: templates compiled, connection open
        for round_ in range(args.rounds):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                start, start_cpu = perf_counter(), process_time()
                for _ in range(args.requests):
                    variants[name](url)
                cpu[name].append((process_time() - start_cpu) / args.requests)
                wall[name].append((perf_counter() - start) / args.requests)
        report(url, queries, vendor, args, names, cpu, wall)
        median, _, shallow, deep = walk_cost(partial(client.get, url), runs=20)
        print(f"stack walk per query: median {median:.1f} us, stack {shallow}-{deep} frames deep")


def report(
    url: str,
    queries: int,
    vendor: str,
    args: argparse.Namespace,
    names: list[str],
    cpu: dict[str, list[float]],
    wall: dict[str, list[float]],
) -> None:
    base = names[0]
    print(f"\n{url} on {vendor}: {queries} queries per request, {args.rounds} rounds of "
          f"{args.requests} requests")  # fmt: skip
    print(f"{'variant':<30}{'cpu ms':>9}{'ratio':>8}{'+ms':>8}{'+us/query':>11}{'wall ms':>9}")
    for name in names:
        ratio = statistics.median(v / b for v, b in zip(cpu[name], cpu[base], strict=True))
        median = statistics.median(cpu[name]) * 1000
        extra = median - statistics.median(cpu[base]) * 1000
        print(
            f"{name:<30}{median:>9.2f}{ratio:>8.3f}{extra:>8.2f}{extra * 1000 / queries:>11.1f}"
            f"{statistics.median(wall[name]) * 1000:>9.2f}"
        )


if __name__ == "__main__":
    main()
