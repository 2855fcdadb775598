"""col_is_null: the column allows NULL (e.g. a plan dropped NOT NULL)."""

from __future__ import annotations

from bhq_migrate.verify.checks._nullability import evaluate_nullability as evaluate

KIND = "col_is_null"
TITLE = "The column allows NULL."

__all__ = ["KIND", "TITLE", "evaluate"]
