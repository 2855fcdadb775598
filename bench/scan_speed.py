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
The target is scan <= 0.6 x parse-all. Each is repeated and the best time kept (warm file cache for both).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bhq_migrate.scan import ScanConfig, scan
from bhq_migrate.scan.parser import parse
from bhq_migrate.scan.sources import iter_sources


def parse_all(paths: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    total_bytes = 0
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError:
            continue
        total_bytes += len(content)
        parse(content, path.suffix)
    return time.perf_counter() - started, total_bytes


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

    parse_times, scan_times = [], []
    result = None
    for _ in range(args.repeat):
        seconds, total_bytes = parse_all(files)
        parse_times.append(seconds)
        started = time.perf_counter()
        result = scan([root], config)
        scan_times.append(time.perf_counter() - started)
    assert result is not None
    best_parse, best_scan = min(parse_times), min(scan_times)
    cores = os.cpu_count() or 1
    print(f"| machine | {platform.python_implementation()} {platform.python_version()}, {cores} cores |")
    print("|---|---|")
    print(f"| codebase | {root.name}: {len(files)} source files, {total_bytes / 1e6:.1f} MB |")
    print(f"| parse-all (1 process, every file) | {best_parse:.2f} s ({len(files) / best_parse:.0f} files/s) |")
    print(f"| scan-queries (all cores, pre-filter) | {best_scan:.2f} s ({len(files) / best_scan:.0f} files/s); "
          f"{result.files_parsed} files parsed, {len(result.findings)} findings |")
    print(f"| ratio scan / parse-all | best {best_scan / best_parse:.2f}, median "
          f"{statistics.median(scan_times) / statistics.median(parse_times):.2f} (target <= 0.60) |")
    print(f"| all runs (s) | parse-all {', '.join(f'{t:.2f}' for t in parse_times)}; "
          f"scan {', '.join(f'{t:.2f}' for t in scan_times)} |")
    return 0 if best_scan <= 0.6 * best_parse else 1


if __name__ == "__main__":
    raise SystemExit(main())
