"""Test settings: the sample app's, with the database chosen by DATABASE_URL (SQLite default)."""

from __future__ import annotations

from sample_app.settings import *  # noqa: F403
from sample_app.settings import BASE_DIR, DATABASES

# The app's own database: the test session must never write to it.
APP_DATABASE_NAME = DATABASES["default"]["NAME"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not pytest-django's in-memory default, so notebook kernels (other processes)
    # can read the seeded test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "data" / "test_blog.sqlite3")}

# A second alias, to test that capture covers every alias and that `using` narrows it.
DATABASES["other"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The second test project (tests/warehouse), whose AuditEntry lives on "other"; the kit is an
# app already, as in the sample app's settings (what a user's project does to get
# `manage.py orm_profile`). Its pages are under /warehouse/ (tests/urls.py).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.warehouse"]  # noqa: F405
ROOT_URLCONF = "tests.urls"
DATABASE_ROUTERS = ["tests.warehouse.routers.ArchiveRouter"]
