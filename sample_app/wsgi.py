"""WSGI entry point of the sample project, for `runserver`-like hosting."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_app.settings")

application = get_wsgi_application()
