"""Settings of the sample blog project; the database comes from DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django

BASE_DIR = Path(__file__).resolve().parent.parent

# A fixed development key: this project is a local teaching sample, never deployed,
# so the key protects nothing and is deliberately not secret.
SECRET_KEY = "django-insecure-sample-app-dev-key-not-secret"

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"

ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # shell_plus --lab opens a notebook kernel with every model imported.
    "django_extensions",
    # The read-only API under /api/ (its browsable pages use the app's templates).
    "rest_framework",
    # The kit as an app: `python manage.py orm_profile /posts/`. Its middleware is opt-in: see
    # KIT_MIDDLEWARE below.
    "kit",
    "sample_app.blog",
]
# A composite primary key (notebook 04) needs Django 5.2; the kit's tests also run on 4.2.
if django.VERSION >= (5, 2):
    INSTALLED_APPS.append("sample_app.daily")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# KIT_MIDDLEWARE=1 profiles every request (kit.django.QueryProfileMiddleware): a request that
# breaks KIT_BUDGET is logged to the "kit.requests" logger, and every response carries a
# Server-Timing header with its database time and query count.
if os.environ.get("KIT_MIDDLEWARE") == "1":
    MIDDLEWARE.insert(0, "kit.django.QueryProfileMiddleware")
KIT_BUDGET = {"max_queries": 50, "n_plus_one": False}
KIT_SAMPLE_RATE = 1.0

ROOT_URLCONF = "sample_app.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "sample_app.wsgi.application"

# An empty DATABASE_URL counts as unset: the SQLite file under data/.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'data' / 'blog.sqlite3'}"
    ),
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

LOGIN_URL = "/admin/login/"

# The API is read-only and public; JSON first, the browsable pages for a browser.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

# `python manage.py shell_plus --lab` (django-extensions) opens JupyterLab on notebooks/; as root
# (containers, CI machines) JupyterLab also needs --allow-root.
NOTEBOOK_ARGUMENTS = ["--notebook-dir", str(BASE_DIR / "notebooks")]
if hasattr(os, "getuid") and os.getuid() == 0:
    NOTEBOOK_ARGUMENTS.append("--allow-root")
