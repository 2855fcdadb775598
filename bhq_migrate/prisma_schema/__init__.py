"""The one ``schema.prisma`` parser (a lark grammar), shared by ``audit-prisma`` and ``scan-queries``.

A shared core module, not a job: both job packages import it, it imports neither.
"""

from bhq_migrate.prisma_schema.parser import (
    PrismaSchema,
    load_schema,
    load_schema_files,
    parse_schema,
)

__all__ = ["PrismaSchema", "load_schema", "load_schema_files", "parse_schema"]
