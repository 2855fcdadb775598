"""The scan pipeline: discover sources -> pre-filter bytes -> parse + analyse (all cores) -> suppress ->
fingerprint -> baseline.

Workers receive only paths; the configuration and model catalogs reach each worker once, through the pool
initializer. Files that cannot hold a finding (no call of a Prisma or raw-SQL method, or no client or
``prisma`` mention) are never parsed. Nothing waits for what it does not need: the walk feeds the workers as it
goes, and a schema that is not in the cache (:mod:`bhq_migrate.scan.schema_cache`) is parsed in a helper
process while the walk starts.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import multiprocessing.context
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from bhq_migrate.errors import BhqError, ConfigError
from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan import baseline as baseline_module
from bhq_migrate.scan.causes import declared_helpers, group_by_cause
from bhq_migrate.scan.clients import (
    DYNAMIC,
    collect_bindings,
    configured_names,
    prisma_call,
    project_clients,
)
from bhq_migrate.scan.config import ScanConfig
from bhq_migrate.scan.model import FileContext, PrismaCall, ScanFinding
from bhq_migrate.scan.models import (
    DEFAULT_SOURCE,
    ModelCatalog,
    cached_catalog,
    catalog_for,
    default_catalog,
    discover_schemas,
    load_catalog,
    merged_catalog,
    schema_size,
)
from bhq_migrate.scan.parser import first_error, parse
from bhq_migrate.scan.prisma_api import ALL_METHODS, RAW_AND_SQL
from bhq_migrate.scan.project import ProjectIndex
from bhq_migrate.scan.rawsql import analyse_sql, raw_sql_site
from bhq_migrate.scan.rules import (
    CALL_CHECKS,
    FILE_CHECKS,
    RAW_SQL_CHECKS,
    RULES,
    rule_for,
    s007_needs_review,
    s008_parse_error,
    s010_unknown_client,
    s011_soft_deleted_relation,
)
from bhq_migrate.scan.scoping import Resolver
from bhq_migrate.scan.sites import find_sites
from bhq_migrate.scan.sources import SourceFile, WalkReport, iter_sources, looks_generated, looks_minified
from bhq_migrate.scan.suppressions import apply_suppressions, parse_suppressions
from bhq_migrate.scan.wrappers import Wrapper, mentions, wrapper_at, wrapper_calls

# Below this many candidate files one process is faster than starting a pool.
PARALLEL_THRESHOLD = 64
# A schema smaller than this is parsed faster than a helper process starts (lark reads about 1 MB/s).
HELPER_MIN_SCHEMA_BYTES = 32_000
# Files sent to a worker at a time: small, so that the workers finish together (a few files are much slower
# to analyse than the rest), yet large enough that sending them costs little.
CHUNK = 32


# Per-file reasons for not analysing a file, as counted in ScanResult.skipped (stable keys, in the JSON).
NO_PRISMA_CALL = "no Prisma call (not parsed)"
GENERATED_FILE = "generated Prisma client file"
MINIFIED = "minified"
TOO_LARGE = "over --max-file-bytes"
UNREADABLE = "could not be read"


@dataclass
class FileOutcome:
    """What the scan of one file produced."""

    findings: list[ScanFinding] = field(default_factory=list)
    parsed: bool = False
    suppressed: int = 0
    checked: int = 0
    """Call sites on a soft-deletable or tenant-owned model (and raw-SQL sites) the rules looked at."""
    skipped: str | None = None
    """Why the file was not analysed, when it was not."""
    wrappers: list[Wrapper] = field(default_factory=list)
    """Functions in this file that forward a model name to ``client[model].<method>(...)``."""


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
    checked: int = 0
    """Call sites on soft-deletable or tenant-owned models (and raw-SQL sites) that were checked."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Reason -> folders and files not scanned for it (see :mod:`bhq_migrate.scan.sources`)."""
    unreadable: list[str] = field(default_factory=list)
    """Folders and files that could not be read."""
    default_models: bool = False
    """No schema was found: the seed plan's default models were used."""
    in_test_code: int = 0
    """Findings in test, spec, e2e, seed and fixture paths."""

    def problems(self) -> list[str]:
        """Why this result does not show that the code was checked (empty when it does): the CLI exits 2
        on these unless told to accept them (``--allow-default-models``), except the first, which it never
        accepts."""
        unreadable_files = self.skipped.get(UNREADABLE, 0)
        if self.unreadable and self.files_found == unreadable_files:
            shown = ", ".join(self.unreadable[:3]) + (" ..." if len(self.unreadable) > 3 else "")
            return [f"nothing could be read: {shown}"]
        if self.default_models:
            return ["no schema.prisma found in, above or imported by the scanned paths: the seed plan's "
                    "default models would be assumed (pass --schema PATH, or --allow-default-models)"]
        if self.files_found == 0:
            return ["no JavaScript/TypeScript source file found: nothing was checked (--allow-default-models "
                    "accepts it)"]
        if self.checked == 0:
            return [f"no query on a soft-deletable or tenant-owned model of {', '.join(self.schemas)} was "
                    f"found in {self.files_found} file(s): nothing was checked (wrong --schema or --client? "
                    "--allow-default-models accepts it)"]
        return []

    def nothing_read(self) -> bool:
        return bool(self.unreadable) and self.files_found == self.skipped.get(UNREADABLE, 0)

    def failed(self, threshold: Severity) -> bool:
        return any(f.severity.at_least(threshold) for f in self.findings)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts


def build_catalogs(paths: Sequence[Path], config: ScanConfig) -> list[ModelCatalog]:
    """The explicit schemas, else every schema discovered for the paths, else the seed plan's defaults
    (which :meth:`ScanResult.problems` reports)."""
    return _parsed_catalogs(_schema_paths(paths, config), config)


def _parsed_catalogs(schemas: list[Path], config: ScanConfig) -> list[ModelCatalog]:
    catalogs = _catalogs(schemas, config, load_catalog)
    assert catalogs is not None  # load_catalog returns a catalog or raises
    return catalogs


def _schema_paths(paths: Sequence[Path], config: ScanConfig) -> list[Path]:
    schemas = list(config.schemas)
    if not schemas and config.discover_schemas:
        schemas = discover_schemas(paths)
    return [Path(s) for s in schemas]


_CatalogLoader = Callable[[Path, tuple[str, ...], tuple[str, ...]], "ModelCatalog | None"]


def _catalogs(schemas: list[Path], config: ScanConfig, load: _CatalogLoader) -> list[ModelCatalog] | None:
    """The catalogs of ``schemas`` as ``load`` gives them (``None`` when it gives none for one of them)."""
    catalogs = []
    for schema in schemas:
        catalog = load(schema, config.soft_delete_fields, config.tenant_fields)
        if catalog is None:
            return None
        catalogs.append(catalog)
    if not catalogs:
        catalogs = [default_catalog(config.default_soft_delete_models, config.soft_delete_fields,
                                    config.tenant_fields)]
    if len(catalogs) == 1:
        catalogs[0].root = None  # one schema: it applies to every scanned file
    return catalogs


def prefilter_pattern(config: ScanConfig, catalogs: Sequence[ModelCatalog] = ()) -> re.Pattern[bytes]:
    """Bytes that any file with a Prisma call or raw SQL must contain: a client (or a ``prisma`` type, for
    ``tx: Prisma.TransactionClient``), or ``.<soft-deletable model>.<method>`` (which, through a receiver
    that is not recognised, is reported as S010)."""
    simple, dotted = configured_names(config.clients)
    names = (simple | {name.split(".")[-1].split("(")[0] for name in dotted}) - {""}
    words = "|".join(re.escape(name) for name in sorted(names))
    accessors = sorted({model.accessor for catalog in catalogs for model in catalog.models.values()
                        if catalog.is_soft_deletable(model)})
    delegate = ""
    if accessors:
        delegate = (r"|\.\s*(?:" + "|".join(re.escape(a) for a in accessors) + r")\s*\.\s*(?:"
                    + "|".join(sorted(ALL_METHODS)) + r")\s*\(")
    return re.compile(rb"[Pp]risma|PRISMA|\$queryRaw|\$executeRaw|\$transaction|\b(?:" + words.encode() + rb")\b"
                      + delegate.encode())


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
    global _WORKER_STATE, _INDEX
    _INDEX = None
    _WORKER_STATE = (config, catalogs, merged_catalog(catalogs), prefilter_pattern(config, catalogs))


def _skipped(source: SourceFile, message: str) -> list[ScanFinding]:
    rule = s008_parse_error.RULE
    return [ScanFinding(file=source.display, line=1, column=1, rule=rule.id, severity=rule.severity,
                        message=message, help=rule.fix)]


_INDEX: ProjectIndex | None = None


def _project_index() -> ProjectIndex:
    """One project index per scan process (its module cache is bounded: see bhq_migrate.scan.project)."""
    global _INDEX
    if _INDEX is None:
        _INDEX = ProjectIndex()
    return _INDEX


def analyse_source(source: SourceFile) -> FileOutcome:
    """What the scan of one file finds. Never raises on bad input."""
    assert _WORKER_STATE is not None
    config, catalogs, fallback, pattern = _WORKER_STATE
    try:
        with open(source.path, "rb") as handle:  # one open and one fstat: this runs for every file found
            size = os.fstat(handle.fileno()).st_size
            if size > config.max_file_bytes:
                if not pattern.search(handle.read(200_000)):
                    return FileOutcome(skipped=NO_PRISMA_CALL)
                return FileOutcome(_skipped(source, f"skipped: file is {size} bytes (limit {config.max_file_bytes})"),
                                   skipped=TOO_LARGE)
            content = handle.read()
    except OSError as exc:
        if source.path.is_symlink() and not source.path.exists():
            return FileOutcome()  # a dangling symlink is not a source file
        return FileOutcome(_skipped(source, f"skipped: cannot read file ({exc.strerror or exc})"),
                           skipped=UNREADABLE)
    if not could_have_findings(content, pattern):
        return FileOutcome(skipped=NO_PRISMA_CALL)
    if looks_generated(content[:400]):
        return FileOutcome(skipped=GENERATED_FILE)
    if looks_minified(content):
        return FileOutcome(_skipped(source, "skipped: file looks minified"), skipped=MINIFIED)
    outcome = FileOutcome(parsed=True)
    try:
        findings = _analyse_content(source, content, catalog_for(catalogs, source.path, fallback), config,
                                    outcome)
    except RecursionError:
        outcome.findings = _skipped(source, "skipped: nesting too deep to analyse")
        return outcome
    except Exception as exc:  # never let one odd file stop the scan; say which file and why
        outcome.findings = _skipped(source, f"skipped: internal error while analysing ({type(exc).__name__}: {exc})")
        return outcome
    suppressions, problems = parse_suppressions(content, source.display)
    findings, outcome.suppressed = apply_suppressions(findings, suppressions)
    findings = sorted([*findings, *problems], key=lambda f: (f.line, f.column, f.rule))
    outcome.findings = _fingerprinted(findings, content)
    return outcome


def _fingerprinted(findings: list[ScanFinding], content: bytes) -> list[ScanFinding]:
    """The findings with their fingerprints, which hash their line's text (most files have no finding: then
    the file is not decoded and split at all)."""
    if not findings:
        return findings
    lines = content.decode("utf-8", errors="replace").splitlines()
    line_text = {(f.file, f.line): lines[f.line - 1] if 0 < f.line <= len(lines) else "" for f in findings}
    return baseline_module.fingerprint_findings(findings, line_text)


def _analyse_content(source: SourceFile, content: bytes, catalog: ModelCatalog,
                     config: ScanConfig, outcome: FileOutcome) -> list[ScanFinding]:
    tree = parse(content, source.path.suffix)
    ctx = FileContext(display=source.display, source=content, root=tree.root_node, catalog=catalog,
                      config=config, path=source.path)
    findings: list[ScanFinding] = []
    error = first_error(tree)
    if error is not None:
        row, column = error.start_point
        findings.append(ScanFinding(file=source.display, line=row + 1, column=column + 1,
                                    rule=s008_parse_error.RULE.id, severity=s008_parse_error.RULE.severity,
                                    message="could not be parsed here (a syntax error, or TypeScript the tree-sitter "
                                    "grammar does not know, such as JSX text with '&'): queries near here may be "
                                    "missed",
                                    help=s008_parse_error.RULE.fix))
    sites = find_sites(tree.root_node, content)
    index = _project_index()
    module = index.add(source.path, content, tree)
    project_clients(ctx, index, module, sites)
    collect_bindings(ctx, sites)
    resolver = Resolver(tree.root_node, config.scoping_helpers, index, module,
                        unscoped_helpers=config.unscoped_helpers)
    for node in [*sites.calls, *sites.fluent]:
        findings.extend(_check_call(node, ctx, resolver, outcome))
    for file_check in FILE_CHECKS:
        findings.extend(file_check(ctx))
    return findings


def analyse_wrapper_callers(source: SourceFile, wrappers: list[Wrapper], pattern: re.Pattern[bytes]) -> FileOutcome:
    """The second pass: calls of a wrapper in ``source``, checked as Prisma calls at the caller."""
    assert _WORKER_STATE is not None
    config, catalogs, fallback, _prefilter = _WORKER_STATE
    outcome = FileOutcome()
    try:
        if source.path.stat().st_size > config.max_file_bytes:
            return outcome
        content = source.path.read_bytes()
    except OSError:
        return outcome  # already reported by the first pass
    if not pattern.search(content):
        return outcome
    try:
        index = _project_index()
        module = index.module(source.path)
        if module is None:
            return outcome
        ctx = FileContext(display=source.display, source=content, root=module.root,
                          catalog=catalog_for(catalogs, source.path, fallback), config=config, path=source.path)
        resolver = Resolver(module.root, config.scoping_helpers, index, module,
                            unscoped_helpers=config.unscoped_helpers)
        calls = wrapper_calls(ctx, module, resolver, index, wrappers)
        findings: list[ScanFinding] = []
        for call, wrapper_resolver in calls:
            outcome.checked += 1
            for check in CALL_CHECKS:
                wrapper_resolver.reset()
                findings.extend(check(call, ctx, wrapper_resolver))
    except Exception:  # the first pass already reported this file if it is odd; never crash on it
        return outcome
    suppressions, _problems = parse_suppressions(content, source.display)
    findings, outcome.suppressed = apply_suppressions(_merge_reviews(findings), suppressions)
    outcome.findings = _fingerprinted(findings, content)
    return outcome


def _check_call(node: Node, ctx: FileContext, resolver: Resolver, outcome: FileOutcome) -> list[ScanFinding]:
    found: list[ScanFinding] = []
    call = prisma_call(node, ctx)
    if isinstance(call, PrismaCall):
        if ctx.catalog.is_soft_deletable(call.model) or ctx.catalog.tenant_field(call.model):
            outcome.checked += 1
        for check in CALL_CHECKS:
            found.extend(check(call, ctx, resolver))
        found = _merge_reviews(found)
    elif call == DYNAMIC:
        outcome.checked += 1
        callee = node.child_by_field_name("function")
        anchor = callee if callee is not None else node
        wrapper = wrapper_at(node, ctx.path) if ctx.path is not None else None
        if wrapper is not None:
            outcome.wrappers.append(wrapper)
        found.append(ctx.finding(s007_needs_review.RULE, anchor,
                                 "model chosen at run time (client[model]): cannot check this query"
                                 + (f"; calls of {wrapper.name}() that name the model are checked where they are"
                                    if wrapper is not None else ""),
                                 severity=Severity.INFO))
    else:
        site = raw_sql_site(node, ctx, resolver)
        if site is not None:
            outcome.checked += 1
            issues = analyse_sql(site.sql, ctx.catalog) if site.sql is not None else []
            for raw_check in RAW_SQL_CHECKS:
                found.extend(raw_check(site, issues, ctx))
        else:
            unknown = s010_unknown_client.check(node, ctx)
            if unknown is not None:
                found.append(unknown)
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
    config = declared_helpers(config or ScanConfig())
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
    walk = WalkReport()
    found = iter_sources(roots, config.exclude, walk, config.exclude_tests)
    catalogs, walked = _catalogs_while_walking(roots, config, found)
    sources, outcomes = _run(itertools.chain(walked, found), config, catalogs)
    findings: list[ScanFinding] = []
    parsed = suppressed = checked = 0
    skipped = Counter(walk.skipped)
    unreadable = list(walk.unreadable)
    test_files: set[str] = set()
    for source, outcome in zip(sources, outcomes, strict=True):
        parsed += outcome.parsed
        suppressed += outcome.suppressed
        checked += outcome.checked
        findings.extend(outcome.findings)
        if source.test_code:
            test_files.add(source.display)
        if outcome.skipped is not None:
            skipped[outcome.skipped] += 1
        if outcome.skipped == UNREADABLE:
            unreadable.append(source.display)
    wrappers = [w for outcome in outcomes for w in outcome.wrappers]
    if wrappers:
        _init_worker(config, catalogs)
        pattern = mentions(wrappers)
        for source in sources:
            caller = analyse_wrapper_callers(source, wrappers, pattern)
            if source.test_code:
                test_files.add(source.display)
            checked += caller.checked
            findings.extend(caller.findings)
    for folder in walk.unreadable:
        rule = s008_parse_error.RULE
        findings.append(ScanFinding(file=folder, line=1, column=1, rule=rule.id, severity=Severity.WARNING,
                                    message="skipped: cannot read this folder", help=rule.fix))
    findings = [f for f in findings if f.rule not in disabled]
    findings.sort(key=lambda f: (f.file, f.line, f.column, f.rule))
    findings = group_by_cause(_once_per_relation(findings), config.soft_delete_fields[0])
    baselined = 0
    if baseline_fingerprints is not None:
        findings, baselined = baseline_module.filter_baseline(findings, baseline_fingerprints)
    return ScanResult(
        findings=findings, rules=RULES, files_found=len(sources), files_parsed=parsed, suppressed=suppressed,
        baselined=baselined, schemas=[c.source for c in catalogs], seconds=time.perf_counter() - started,
        checked=checked, skipped=dict(sorted(skipped.items())), unreadable=unreadable,
        default_models=catalogs[0].root is None and catalogs[0].source == DEFAULT_SOURCE,
        in_test_code=sum(1 for f in findings if f.file in test_files),
    )


def _once_per_relation(findings: list[ScanFinding]) -> list[ScanFinding]:
    """S011 is reported once per relation field for the whole scan (files are analysed apart)."""
    seen: set[str] = set()
    kept = []
    for finding in findings:
        if finding.rule == s011_soft_deleted_relation.RULE.id:
            key = finding.message.split(" ", 1)[0]  # "Invoice.contact"
            if key in seen:
                continue
            seen.add(key)
        kept.append(finding)
    return kept


def _run(found: Iterable[SourceFile], config: ScanConfig,
         catalogs: list[ModelCatalog]) -> tuple[list[SourceFile], list[FileOutcome]]:
    """Analyse every source ``found``, in order. With a pool, the workers start on the first files while this
    process is still walking the tree (the walk is a generator), so the walk no longer runs on its own."""
    jobs = config.jobs or os.cpu_count() or 1
    walk = iter(found)
    sources = list(itertools.islice(walk, PARALLEL_THRESHOLD))
    if jobs <= 1 or len(sources) < PARALLEL_THRESHOLD:
        sources.extend(walk)
        _init_worker(config, catalogs)
        return sources, [analyse_source(source) for source in sources]

    def rest_of_walk() -> Iterator[SourceFile]:
        for source in walk:
            sources.append(source)
            yield source

    with _heap_frozen(), ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context(),
                                             initializer=_init_worker, initargs=(config, catalogs)) as pool:
        outcomes = list(pool.map(analyse_source, itertools.chain(list(sources), rest_of_walk()), chunksize=CHUNK))
    return sources, outcomes


def _catalogs_while_walking(roots: list[Path], config: ScanConfig,
                            found: Iterator[SourceFile]) -> tuple[list[ModelCatalog], list[SourceFile]]:
    """The catalogs, and the sources walked while they were being made.

    From the schema cache they take milliseconds. Otherwise (a first run, an edited schema) the schema is parsed
    in a helper process while this one walks the tree, instead of one after the other with a core idle: for a
    large schema the two take about as long. An error in the schema is raised as if it had been parsed here.
    """
    schemas = _schema_paths(roots, config)
    catalogs = _catalogs(schemas, config, cached_catalog)
    if catalogs is not None:
        return catalogs, []
    if (config.jobs or os.cpu_count() or 1) <= 1 or sum(map(schema_size, schemas)) < HELPER_MIN_SCHEMA_BYTES:
        return _parsed_catalogs(schemas, config), []
    walked: list[SourceFile] = []
    with _heap_frozen(), ProcessPoolExecutor(max_workers=1, mp_context=_pool_context()) as helper:
        parsing = helper.submit(_parsed_catalogs, schemas, config)
        try:
            for source in found:
                walked.append(source)
                if len(walked) % PARALLEL_THRESHOLD == 0 and parsing.done():
                    break
        except Exception:
            schema_error = parsing.exception()
            if isinstance(schema_error, BhqError):  # reported first, as when the schema was read before the walk
                raise schema_error from None
            raise
        try:
            return parsing.result(), walked
        except BhqError:
            raise
        except Exception:  # the helper failed (killed, or an error of its own): do it here, as without it
            return _parsed_catalogs(schemas, config), walked


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep this process's objects out of the garbage collector's reach while processes are forked from it.

    A forked child starts with a copy of the parent's heap; each of its collections would walk those objects
    too (and touch, so copy, their pages). Frozen, they are skipped (see :func:`gc.freeze`): on dub a scan run
    after others in one process (the benchmark, a long-lived caller) took 0.71-0.79 s instead of 0.69-0.70 s.
    """
    frozen_by_caller = gc.get_freeze_count() > 0  # then leave the caller's frozen objects as they were
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_by_caller:
            gc.unfreeze()


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (Linux): a worker starts as a copy of this process, with every module already
    imported and the settings already in memory, instead of importing the scan again (spawn, forkserver)."""
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()
