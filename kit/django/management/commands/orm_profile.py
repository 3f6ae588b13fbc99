"""`python manage.py orm_profile URL`: profile one request, print what to fix, keep CI honest.

The request goes through Django's test client in this process (kit.django.requests), so it
works with DEBUG off and on every alias. The output is the summary, the findings with their
code and the top query shapes: coloured on a terminal, plain when piped or with --no-color.
A broken budget (--max-queries, --max-duplicates, --no-n-plus-one) exits with status 1.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kit.analysis.budget import Budget
from kit.analysis.groups import DEFAULT_THRESHOLD
from kit.django.requests import METHODS, request_profile
from kit.errors import KitUsageError
from kit.explain import MODES
from kit.render.budget import budget_violations, violation_text
from kit.render.console import console_lines

# A finding's severity, and the rest of the output, to one of Django's output styles.
_STYLES = {
    "summary": "MIGRATE_HEADING",
    "heading": "MIGRATE_LABEL",
    "high": "ERROR",
    "medium": "WARNING",
    "low": "NOTICE",
    "info": "NOTICE",
    "code": "SQL_FIELD",
    "note": "HTTP_NOT_MODIFIED",
}


def _pair(text: str, separator: str, what: str) -> tuple[str, str]:
    key, found, value = text.partition(separator)
    if not found or not key.strip():
        raise CommandError(f"{what} must look like NAME{separator}VALUE, not {text!r}.")
    return key.strip(), value.strip() if separator == ":" else value


class Command(BaseCommand):
    help = (
        "Request URL through Django's test client and profile its queries: the summary, the "
        "findings with the code to paste, the top query shapes. Exits 1 when a budget is broken."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("url", help="the path to request, e.g. /posts/?page=2")
        parser.add_argument("--method", default="GET", choices=METHODS, type=str.upper)
        parser.add_argument(
            "--data", action="append", default=[], metavar="KEY=VALUE",
            help="a query parameter (GET, HEAD) or form field (other methods); repeatable",
        )  # fmt: skip
        parser.add_argument("--user", metavar="USERNAME", help="log this user in first")
        parser.add_argument(
            "--header", action="append", default=[], metavar="NAME:VALUE",
            help="a request header, e.g. 'Accept: application/json'; repeatable",
        )  # fmt: skip
        parser.add_argument(
            "--using", action="append", metavar="ALIAS",
            help="profile this database alias only (repeatable); default: every alias",
        )  # fmt: skip
        parser.add_argument("--html", metavar="PATH", help="write a standalone HTML report")
        parser.add_argument("--json", metavar="PATH", help="save the profile (kit.load reads it)")
        parser.add_argument("--max-queries", type=int, metavar="N", help="budget: at most N")
        parser.add_argument(
            "--max-duplicates", type=int, metavar="N", help="budget: at most N repeated queries"
        )
        parser.add_argument(
            "--no-n-plus-one", action="store_true", help="budget: no N+1 group at all"
        )
        parser.add_argument(
            "--threshold", type=int, default=DEFAULT_THRESHOLD, metavar="N",
            help=f"queries of one shape from one line that make an N+1 (default "
            f"{DEFAULT_THRESHOLD})",
        )  # fmt: skip
        parser.add_argument(
            "--explain", nargs="?", const="plain", choices=MODES, metavar="MODE",
            help="explain each query shape after the request (plain, analyze, whatif)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            budget = Budget(
                options["max_queries"], options["max_duplicates"], not options["no_n_plus_one"]
            )
            data = dict(_pair(item, "=", "--data") for item in options["data"])
            headers = dict(_pair(item, ":", "--header") for item in options["header"])
            result, response = request_profile(
                None,
                options["url"],
                method=options["method"],
                data=data,
                user=options["user"],
                headers=headers,
                using=options["using"],
                threshold=options["threshold"],
                explain=options["explain"],
            )
        except (KitUsageError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self._write(self.style.HTTP_INFO, self._request_line(options, response))
        for role, text in console_lines(result):
            self._write(getattr(self.style, _STYLES.get(role, ""), None), text)
        if options["html"]:
            result.to_html(options["html"])
            self.stdout.write(f"HTML report: {options['html']}")
        if options["json"]:
            result.save(options["json"])
            self.stdout.write(f"Profile: {options['json']}")
        violations = budget_violations(result, budget)
        if violations:
            message = "Query budget exceeded: " + "; ".join(map(violation_text, violations)) + "."
            raise CommandError(message, returncode=1)

    def _write(self, style: Callable[[str], str] | None, text: str) -> None:
        self.stdout.write(style(text) if (style and text) else text)

    @staticmethod
    def _request_line(options: dict[str, Any], response: Any) -> str:
        size = len(getattr(response, "content", b"")) if not response.streaming else None
        body = f", {size:,} bytes" if size is not None else ", streamed"
        return (
            f"{options['method']} {options['url']} -> {response.status_code} "
            f"{response.reason_phrase}{body}"
        )
