"""The scan pipeline: discover sources -> pre-filter bytes -> parse + analyse (all cores) -> suppress ->
fingerprint -> baseline.

Workers receive only paths; the configuration and model catalogs reach each worker once, through the pool
initializer. Files that cannot hold a finding (no call of a Prisma or raw-SQL method, or no client or
``prisma`` mention) are never parsed.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from bhq_migrate.errors import ConfigError
from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan import baseline as baseline_module
from bhq_migrate.scan.clients import DYNAMIC, collect_bindings, configured_names, prisma_call
from bhq_migrate.scan.config import ScanConfig
from bhq_migrate.scan.model import FileContext, PrismaCall, ScanFinding
from bhq_migrate.scan.parser import first_error, parse
from bhq_migrate.scan.prisma_api import ALL_METHODS, RAW_AND_SQL
from bhq_migrate.scan.prisma_schema import (
    ModelCatalog,
    catalog_for,
    default_catalog,
    discover_schemas,
    load_catalog,
    merged_catalog,
)
from bhq_migrate.scan.rawsql import analyse_sql, raw_sql_site
from bhq_migrate.scan.rules import (
    CALL_CHECKS,
    FILE_CHECKS,
    RAW_SQL_CHECKS,
    RULES,
    rule_for,
    s007_needs_review,
    s008_parse_error,
)
from bhq_migrate.scan.scoping import Resolver
from bhq_migrate.scan.sites import find_sites
from bhq_migrate.scan.sources import SourceFile, iter_sources, looks_generated, looks_minified
from bhq_migrate.scan.suppressions import apply_suppressions, parse_suppressions

# Below this many candidate files one process is faster than starting a pool.
PARALLEL_THRESHOLD = 64


@dataclass
class ScanResult:
    findings: list[ScanFinding]
    rules: tuple[Rule, ...]
    files_found: int = 0
    files_parsed: int = 0
    suppressed: int = 0
    baselined: int = 0
    schemas: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def failed(self, threshold: Severity) -> bool:
        return any(f.severity.at_least(threshold) for f in self.findings)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts


def build_catalogs(paths: Sequence[Path], config: ScanConfig) -> list[ModelCatalog]:
    """The explicit schemas, else every schema found under the paths, else the seed plan's defaults."""
    schemas = list(config.schemas)
    if not schemas and config.discover_schemas:
        schemas = discover_schemas(paths)
    catalogs = [load_catalog(Path(s), config.soft_delete_fields, config.tenant_fields) for s in schemas]
    if not catalogs:
        catalogs = [default_catalog(config.default_soft_delete_models, config.soft_delete_fields,
                                    config.tenant_fields)]
    if len(catalogs) == 1:
        catalogs[0].root = None  # one schema: it applies to every scanned file
    return catalogs


def prefilter_pattern(config: ScanConfig) -> re.Pattern[bytes]:
    """Bytes that any file with a Prisma call or raw SQL must contain: a client (or a ``prisma`` type, for
    ``tx: Prisma.TransactionClient``)."""
    simple, dotted = configured_names(config.clients)
    names = (simple | {name.split(".")[-1].split("(")[0] for name in dotted}) - {""}
    words = "|".join(re.escape(name) for name in sorted(names))
    return re.compile(rb"[Pp]risma|PRISMA|\$queryRaw|\$executeRaw|\$transaction|\b(?:" + words.encode() + rb")\b")


# Every finding sits on a call of one of these methods: a file without any cannot have a finding.
_METHOD_CALL = re.compile(
    rb"\.\s*(?:" + "|".join(re.escape(m) for m in sorted(ALL_METHODS | RAW_AND_SQL)).encode() + rb")\b"
)


def could_have_findings(content: bytes, client_pattern: re.Pattern[bytes]) -> bool:
    # the method test first: it rejects most files and its literal prefix (".") makes it the cheaper scan
    return _METHOD_CALL.search(content) is not None and client_pattern.search(content) is not None


# ---- per-file analysis (runs in workers) ---------------------------------------------------------------

_WORKER_STATE: tuple[ScanConfig, list[ModelCatalog], ModelCatalog, re.Pattern[bytes]] | None = None


def _init_worker(config: ScanConfig, catalogs: list[ModelCatalog]) -> None:
    global _WORKER_STATE
    _WORKER_STATE = (config, catalogs, merged_catalog(catalogs), prefilter_pattern(config))


def _skipped(source: SourceFile, message: str) -> list[ScanFinding]:
    rule = s008_parse_error.RULE
    return [ScanFinding(file=source.display, line=1, column=1, rule=rule.id, severity=rule.severity,
                        message=message, help=rule.fix)]


def analyse_source(source: SourceFile) -> tuple[bool, list[ScanFinding], int]:
    """(parsed?, findings, suppressed count) for one file. Never raises on bad input."""
    assert _WORKER_STATE is not None
    config, catalogs, fallback, pattern = _WORKER_STATE
    try:
        size = source.path.stat().st_size
        if size > config.max_file_bytes:
            with source.path.open("rb") as handle:
                head = handle.read(200_000)
            if not pattern.search(head):
                return False, [], 0
            return False, _skipped(source, f"skipped: file is {size} bytes (limit {config.max_file_bytes})"), 0
        content = source.path.read_bytes()
    except OSError as exc:
        if source.path.is_symlink() and not source.path.exists():
            return False, [], 0  # a dangling symlink is not a source file
        return False, _skipped(source, f"skipped: cannot read file ({exc.strerror or exc})"), 0
    if not could_have_findings(content, pattern) or looks_generated(content[:400]):
        return False, [], 0
    if looks_minified(content):
        return False, _skipped(source, "skipped: file looks minified"), 0
    try:
        findings = _analyse_content(source, content, catalog_for(catalogs, source.path, fallback), config)
    except RecursionError:
        return True, _skipped(source, "skipped: nesting too deep to analyse"), 0
    except Exception as exc:  # never let one odd file stop the scan; say which file and why
        return True, _skipped(source, f"skipped: internal error while analysing ({type(exc).__name__}: {exc})"), 0
    suppressions, problems = parse_suppressions(content, source.display)
    findings, suppressed = apply_suppressions(findings, suppressions)
    findings = sorted([*findings, *problems], key=lambda f: (f.line, f.column, f.rule))
    lines = content.decode("utf-8", errors="replace").splitlines()
    line_text = {(f.file, f.line): lines[f.line - 1] if 0 < f.line <= len(lines) else "" for f in findings}
    return True, baseline_module.fingerprint_findings(findings, line_text), suppressed


def _analyse_content(source: SourceFile, content: bytes, catalog: ModelCatalog,
                     config: ScanConfig) -> list[ScanFinding]:
    tree = parse(content, source.path.suffix)
    ctx = FileContext(display=source.display, source=content, root=tree.root_node, catalog=catalog,
                      config=config)
    findings: list[ScanFinding] = []
    error = first_error(tree)
    if error is not None:
        row, column = error.start_point
        findings.append(ScanFinding(file=source.display, line=row + 1, column=column + 1,
                                    rule=s008_parse_error.RULE.id, severity=s008_parse_error.RULE.severity,
                                    message="syntax error: queries near here may be missed",
                                    help=s008_parse_error.RULE.fix))
    sites = find_sites(tree.root_node, content)
    collect_bindings(ctx, sites)
    resolver = Resolver(tree.root_node, config.scoping_helpers)
    for node in [*sites.calls, *sites.fluent]:
        findings.extend(_check_call(node, ctx, resolver))
    for file_check in FILE_CHECKS:
        findings.extend(file_check(ctx))
    return findings


def _check_call(node: Node, ctx: FileContext, resolver: Resolver) -> list[ScanFinding]:
    found: list[ScanFinding] = []
    call = prisma_call(node, ctx)
    if isinstance(call, PrismaCall):
        for check in CALL_CHECKS:
            found.extend(check(call, ctx, resolver))
        found = _merge_reviews(found)
    elif call == DYNAMIC:
        callee = node.child_by_field_name("function")
        anchor = callee if callee is not None else node
        found.append(ctx.finding(s007_needs_review.RULE, anchor,
                                 "model chosen at run time (client[model]): cannot check this query",
                                 severity=Severity.INFO))
    else:
        site = raw_sql_site(node, ctx, resolver)
        if site is not None:
            issues = analyse_sql(site.sql, ctx.catalog) if site.sql is not None else []
            for raw_check in RAW_SQL_CHECKS:
                found.extend(raw_check(site, issues, ctx))
    return found


def _merge_reviews(findings: list[ScanFinding]) -> list[ScanFinding]:
    """One call, one "needs review": join the soft-delete and tenant concerns into a single finding."""
    reviews = [f for f in findings if f.rule == s007_needs_review.RULE.id]
    if len(reviews) < 2:
        return findings
    merged: dict[tuple[int, int], ScanFinding] = {}
    for review in reviews:
        key = (review.line, review.column)
        if key not in merged:
            merged[key] = review
            continue
        first = merged[key]
        severity = first.severity if first.severity.at_least(review.severity) else review.severity
        tail = review.message.split(": ", 1)[-1]
        merged[key] = first.model_copy(update={"severity": severity, "message": f"{first.message}; {tail}"})
    return [f for f in findings if f.rule != s007_needs_review.RULE.id] + list(merged.values())


# ---- the whole scan ----------------------------------------------------------------------------------


def scan(paths: Iterable[Path | str], config: ScanConfig | None = None,
         baseline_fingerprints: set[str] | None = None) -> ScanResult:
    """Scan ``paths`` (files or folders). Raises :class:`~bhq_migrate.errors.ConfigError` for bad settings;
    never for bad source files."""
    config = config or ScanConfig()
    started = time.perf_counter()
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise ConfigError(f"path not found: {root}")
    disabled = set()
    for reference in config.disable:
        rule = rule_for(reference)
        if rule is None:
            raise ConfigError(f"unknown rule to disable: {reference!r}")
        disabled.add(rule.id)
    catalogs = build_catalogs(roots, config)
    sources = list(iter_sources(roots, config.exclude))
    results = _run(sources, config, catalogs)
    findings: list[ScanFinding] = []
    parsed = suppressed = 0
    for was_parsed, file_findings, file_suppressed in results:
        parsed += was_parsed
        suppressed += file_suppressed
        findings.extend(file_findings)
    findings = [f for f in findings if f.rule not in disabled]
    findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule))
    baselined = 0
    if baseline_fingerprints is not None:
        findings, baselined = baseline_module.filter_baseline(findings, baseline_fingerprints)
    return ScanResult(
        findings=findings, rules=RULES, files_found=len(sources), files_parsed=parsed, suppressed=suppressed,
        baselined=baselined, schemas=[c.source for c in catalogs], seconds=time.perf_counter() - started,
    )


def _run(sources: list[SourceFile], config: ScanConfig,
         catalogs: list[ModelCatalog]) -> list[tuple[bool, list[ScanFinding], int]]:
    jobs = config.jobs or os.cpu_count() or 1
    if jobs <= 1 or len(sources) < PARALLEL_THRESHOLD:
        _init_worker(config, catalogs)
        return [analyse_source(source) for source in sources]
    chunk = max(8, len(sources) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(config, catalogs)) as pool:
        return list(pool.map(analyse_source, sources, chunksize=chunk))
