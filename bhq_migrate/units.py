"""Human-readable quantities shared by the console and HTML reports (no dependencies, so any layer may use it)."""

from __future__ import annotations


def human_size(total_bytes: int | None) -> str:
    """``total_bytes`` in the largest unit up to GB that keeps it under 1024 (``""`` when unknown)."""
    if total_bytes is None:
        return ""
    size = float(total_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""
