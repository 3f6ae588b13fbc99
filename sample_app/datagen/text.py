"""Cheap deterministic text and vocabularies for the generated blog."""

from __future__ import annotations

import random


def _words(text: str) -> tuple[str, ...]:
    """Return the whitespace-separated words of a vocabulary block."""
    return tuple(text.split())


WORDS = _words(
    "query index table join select filter order limit offset cursor schema column row "
    "database cache queryset model field relation foreign key prefetch related manager "
    "migration transaction commit rollback lock scan plan cost estimate planner memory "
    "latency throughput request response view template render page list detail author "
    "comment post tag category rating like profile user session token server client "
    "python django postgres mysql sqlite redis worker queue batch bulk insert update "
    "delete upsert count exists aggregate annotate window rank subquery expression value "
    "the a an of to in on for with without and or but not when while after before "
    "fast slow simple careful measured lazy eager small large hot cold stale fresh "
    "every each many few most some one two three first last next previous better worse "
    "we you they it this that these those is are was were be been being has have had "
    "make run read write load store fetch send keep drop add remove change fix find show "
    "time data code test result number case problem reason example pattern rule habit"
)

FIRST_NAMES = _words(
    "Ada Alan Barbara Brian Carol Dennis Edsger Frances Grace Guido Hedy Ivan Jean Ken "
    "Linus Lynn Margaret Niklaus Olga Peter Radia Richard Sophie Tim Ursula Vint "
    "Wendy Xavier Yukihiro Zelda Amara Bjarne Chen Dmitri Emeka Fatima Giulia Hiro Ines"
)

LAST_NAMES = _words(
    "Hopper Turing Liskov Kernighan Ritchie Dijkstra Allen Hamilton Rossum Lamarr "
    "Sutherland Sammet Thompson Torvalds Perlman Stallman Wilson Cerf Hall Knuth "
    "Matsumoto Stroustrup Okafor Rossi Tanaka Silva Novak Kowalski Nguyen Haddad"
)

CITIES = (
    "Lagos",
    "Lisbon",
    "Montreal",
    "Nairobi",
    "Osaka",
    "Porto Alegre",
    "Prague",
    "Pune",
    "Tallinn",
    "Wellington",
)

CATEGORIES = (
    "Python",
    "Django",
    "Databases",
    "Performance",
    "Testing",
    "Deployment",
    "Security",
    "Frontend",
    "Data Science",
    "Career",
    "Tooling",
    "Community",
)

TAGS = _words(
    "orm python django postgresql mysql mariadb sqlite redis caching indexing explain "
    "n-plus-one select-related prefetch-related bulk-create transactions migrations "
    "queryset annotations aggregation window-functions subqueries raw-sql profiling "
    "debug-toolbar jupyter pandas plotly pytest fixtures async celery docker kubernetes "
    "nginx gunicorn security auth sessions templates forms admin rest-api "
    "signals middleware logging monitoring scaling replication backups"
)

_CORPUS_CHARS = 256 * 1024


class TextSource:
    """A fixed pseudo-English corpus; texts are word-aligned slices of it."""

    def __init__(self, rng: random.Random) -> None:
        self.corpus = _build_corpus(rng, _CORPUS_CHARS)

    def text(self, rng: random.Random, min_chars: int, max_chars: int) -> str:
        """Return a slice of at most max_chars characters from a sentence start."""
        length = rng.randint(min_chars, max_chars)
        start = self.corpus.index(". ", rng.randrange(len(self.corpus) - length - 512)) + 2
        # End on a sentence when one ends in the last fifth, else on a word.
        end = self.corpus.rfind(".", start + length * 4 // 5, start + length) + 1
        if not end:
            end = self.corpus.rfind(" ", start, start + length + 1)
        return self.corpus[start:end].strip()


def title(rng: random.Random) -> str:
    """Return a short title-cased title of 3-9 words."""
    return " ".join(rng.choices(WORDS, k=rng.randint(3, 9))).capitalize()


def _build_corpus(rng: random.Random, chars: int) -> str:
    """Return about `chars` characters of sentences grouped in paragraphs."""
    paragraphs: list[str] = []
    size = 0
    while size < chars:
        sentences = [
            " ".join(rng.choices(WORDS, k=rng.randint(6, 18))).capitalize() + "."
            for _ in range(rng.randint(3, 7))
        ]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)
