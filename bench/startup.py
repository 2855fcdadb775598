"""CLI start-up: `bhq-migrate --version`, `--help` and `status --help` against `python -c pass`.

    .venv/bin/python bench/startup.py [--repeat 21]

Each command runs as a whole process (the installed ``bhq-migrate`` script, as a CI step or a pre-commit hook
runs it), interleaved with the baseline so a burst of load hits both alike; the median wall time is reported.
Target (issue 14): ``--version`` at most 3x ``python -c pass`` plus 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CLI = str(Path(sys.executable).with_name("bhq-migrate"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "bhq-migrate --version": [CLI, "--version"],
    "bhq-migrate --help": [CLI, "--help"],
    "bhq-migrate status --help": [CLI, "status", "--help"],
    "bhq-migrate verify --help": [CLI, "verify", "--help"],
}


def wall_ms(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - started) * 1000


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm-up: file caches, .pyc files
        wall_ms(command)
    before = load_average()
    runs: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            runs[name].append(wall_ms(command))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    base = medians["python -c pass"]
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average before {before}, after "
          f"{load_average()}; {os.cpu_count()} CPUs; {args.repeat} interleaved runs each, median wall time")
    for name, median in medians.items():
        print(f"{name:28} {median:7.1f} ms  ({median / base:4.1f}x python -c pass)")
    target = 3 * base + 50
    version = medians["bhq-migrate --version"]
    print(f"--version target: <= 3 x {base:.1f} + 50 = {target:.1f} ms: {'met' if version <= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
