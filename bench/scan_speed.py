"""Benchmark `scan-queries` against "parse every file with tree-sitter in one process".

Usage:
    python bench/scan_speed.py PATH [--repeat 3] [--tenant-field projectId]
    (or set BHQ_SCAN_BENCH_REPO=PATH)

PATH is a checkout of a large real Prisma codebase; nothing of it is committed here. The figures in
bench/RESULTS.md used dubinc/dub (about 4,200 source files):
    git clone --depth 1 https://github.com/dubinc/dub /tmp/real/dub

Both measurements run in this one process run, on the same file list (sources found by the scanner's own
discovery: node_modules, build output and generated clients skipped):
  * parse-all: read and tree-sitter-parse every file in one process, nothing else;
  * scan: the full `scan()` (pre-filter, parse, analyse, suppressions, fingerprints) on every core.
The target is scan <= 0.6 x parse-all. Each is repeated; the best and the median are reported (warm file
cache for both). The scan keeps what it needs from the schema in a cache keyed by the schema files' content
(bhq_migrate/scan/schema_cache.py). Each round times the scan twice: once with an empty cache folder ("cold", as
on a first run or a fresh CI machine: the schema is parsed) and once with that folder filled ("warm", as when a
developer scans again). Neither touches the user's own cache. The exit code follows the cold scan's best time.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bhq_migrate.scan import ScanConfig, ScanResult, scan
from bhq_migrate.scan.parser import parse
from bhq_migrate.scan.schema_cache import CACHE_DIR_VARIABLE
from bhq_migrate.scan.sources import iter_sources


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the scan's workers): the work done, which a
    shared machine's load stretches far less than the wall-clock time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parse_all(paths: list[Path]) -> tuple[float, float, int]:
    cpu, started = cpu_seconds(), time.perf_counter()
    total_bytes = 0
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError:
            continue
        total_bytes += len(content)
        parse(content, path.suffix)
    return time.perf_counter() - started, cpu_seconds() - cpu, total_bytes


def timed_scan(root: Path, config: ScanConfig, cache_folder: Path) -> tuple[float, float, ScanResult]:
    os.environ[CACHE_DIR_VARIABLE] = str(cache_folder)
    cpu, started = cpu_seconds(), time.perf_counter()
    result = scan([root], config)
    return time.perf_counter() - started, cpu_seconds() - cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default=os.environ.get("BHQ_SCAN_BENCH_REPO"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tenant-field", action="append", default=[])
    args = parser.parse_args()
    if not args.path or not Path(args.path).is_dir():
        print("error: give the path of a Prisma codebase (or set BHQ_SCAN_BENCH_REPO)", file=sys.stderr)
        return 2
    root = Path(args.path)
    files = [source.path for source in iter_sources([root])]
    config = ScanConfig(tenant_fields=tuple(args.tenant_field) or ("tenantId",))

    load_before = os.getloadavg()
    parse_times: list[float] = []
    cold_times: list[float] = []
    warm_times: list[float] = []
    cpu: dict[str, list[float]] = {"parse": [], "cold": [], "warm": []}
    results: list[ScanResult] = []
    with tempfile.TemporaryDirectory(prefix="scan-speed-") as scratch:
        for round_number in range(args.repeat):
            seconds, cpu_used, total_bytes = parse_all(files)
            parse_times.append(seconds)
            cpu["parse"].append(cpu_used)
            cache_folder = Path(scratch) / f"cache-{round_number}"
            for label, times in (("cold", cold_times), ("warm", warm_times)):  # cold fills the folder warm reads
                seconds, cpu_used, result = timed_scan(root, config, cache_folder)
                times.append(seconds)
                cpu[label].append(cpu_used)
                results.append(result)
    load_after = os.getloadavg()
    found = {(len(r.findings), r.files_parsed, r.checked) for r in results}
    if len(found) != 1:
        print(f"error: the scans disagree (findings, files parsed, sites checked): {sorted(found)}", file=sys.stderr)
        return 2
    result = results[-1]
    best_parse = min(parse_times)
    cores = os.cpu_count() or 1
    print(f"| machine | {platform.python_implementation()} {platform.python_version()}, {cores} cores; load average "
          f"{load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end |")
    print("|---|---|")
    print(f"| codebase | {root.name}: {len(files)} source files, {total_bytes / 1e6:.1f} MB; "
          f"{result.files_parsed} files parsed, {len(result.findings)} findings |")
    print(f"| parse-all (1 process, every file) | {best_parse:.2f} s ({len(files) / best_parse:.0f} files/s) |")
    for label, times in (("cold", cold_times), ("warm", warm_times)):
        print(f"| scan-queries, schema cache {label} | {min(times):.2f} s ({len(files) / min(times):.0f} files/s); "
              f"ratio best {min(times) / best_parse:.2f}, median "
              f"{statistics.median(times) / statistics.median(parse_times):.2f} (target <= 0.60) |")
    print(f"| CPU time, every process (median) | parse-all {statistics.median(cpu['parse']):.2f} s; scan cold "
          f"{statistics.median(cpu['cold']):.2f} s, warm {statistics.median(cpu['warm']):.2f} s (ratio "
          f"{statistics.median(cpu['warm']) / statistics.median(cpu['parse']):.2f}) |")
    print(f"| all runs (s) | parse-all {', '.join(f'{t:.2f}' for t in parse_times)}; "
          f"scan cold {', '.join(f'{t:.2f}' for t in cold_times)}; "
          f"scan warm {', '.join(f'{t:.2f}' for t in warm_times)} |")
    return 0 if min(cold_times) <= 0.6 * best_parse else 1


if __name__ == "__main__":
    raise SystemExit(main())
