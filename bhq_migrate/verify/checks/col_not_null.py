"""col_not_null: the column is NOT NULL."""

from __future__ import annotations

from bhq_migrate.verify.checks._nullability import evaluate_nullability as evaluate

KIND = "col_not_null"
TITLE = "The column is NOT NULL."

__all__ = ["KIND", "TITLE", "evaluate"]
