"""Send the warehouse's AuditEntry to the "other" database, everything else to "default"."""

from __future__ import annotations

from typing import Any

ARCHIVE = "other"


class ArchiveRouter:
    def _archived(self, model: Any) -> bool:
        return model._meta.app_label == "warehouse" and model._meta.model_name == "auditentry"

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return ARCHIVE if self._archived(model) else None

    db_for_write = db_for_read

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any):
        if app_label != "warehouse":
            return None
        return (db == ARCHIVE) == (model_name == "auditentry")
