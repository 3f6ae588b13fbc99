"""pytest plugin (entry point `pytest11`): the `orm_budget` fixture, query budgets for tests.

    def test_post_list(orm_budget, client):
        with orm_budget(max_queries=5, max_duplicates=0, n_plus_one=False):
            client.get("/posts/")

A broken budget fails the test with the numbers and the queries behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kit.profiles.profile import Profile


@pytest.fixture
def orm_budget() -> Callable[..., AbstractContextManager[Profile]]:
    """`with orm_budget(max_queries=..., max_duplicates=..., n_plus_one=False, using=...)`."""
    # Imported here: plugins load before pytest-django configures Django.
    from kit.render.budget import query_budget

    return query_budget
