"""The seed plan's own TypeScript snippets (extracted verbatim into fixtures/seed_examples/) as a specification:
its "BEFORE (BAD)" query is reported, its "AFTER (GOOD)" queries are not, and its tenant-blind lookups are."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.scan import ScanConfig, scan

SEED_EXAMPLES = Path(__file__).parent / "fixtures" / "seed_examples"


def _findings() -> set[tuple[str, int, str]]:
    result = scan([SEED_EXAMPLES], ScanConfig())
    return {(Path(f.file).name, f.line, f.rule) for f in result.findings}


def test_the_seeds_bad_example_is_an_unscoped_read() -> None:
    assert ("before_bad.ts", 1, "S001") in _findings()


def test_the_seeds_good_examples_are_scoped() -> None:
    assert not {f for f in _findings() if f[0] in {"after_good.ts", "more_examples.ts"} and f[2] in {"S001", "S002"}}


def test_the_seeds_activeonly_by_id_lookups_are_not_tenant_scoped() -> None:
    tenant = {(name, line) for name, line, rule in _findings() if rule == "S003"}
    assert tenant == {("more_examples.ts", 2), ("more_examples.ts", 19)}


def test_the_marketplace_provider_route_is_clean() -> None:
    assert not {f for f in _findings() if f[0] == "providers_route.ts"}
