"""The pre-fix BreederHQ schema and a deterministic sample-data generator (demo, tests, benchmarks)."""

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data

__all__ = ["SampleSize", "load_baseline", "load_sample_data"]
