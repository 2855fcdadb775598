"""``scan-queries``: find Prisma queries that ignore soft deletes or tenants, in TypeScript/JavaScript sources.

Library entry point: :func:`scan` (paths, :class:`ScanConfig`) -> :class:`ScanResult`.
"""

from bhq_migrate.scan.config import ScanConfig, find_config_file, load_config_file
from bhq_migrate.scan.engine import ScanResult, scan
from bhq_migrate.scan.model import ScanFinding
from bhq_migrate.scan.rules import RULES, rule_for

__all__ = ["RULES", "ScanConfig", "ScanFinding", "ScanResult", "find_config_file", "load_config_file",
           "rule_for", "scan"]
