"""The names of Prisma Client's API that the scan recognises (methods, raw SQL, transactions, types)."""

from __future__ import annotations

import re

READ_METHODS = frozenset(
    {"findMany", "findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow", "count", "aggregate",
     "groupBy"}
)
SINGLE_READS = frozenset({"findFirst", "findFirstOrThrow", "findUnique", "findUniqueOrThrow"})
DELETE_METHODS = frozenset({"delete", "deleteMany"})
WRITE_METHODS = frozenset({"update", "updateMany", "updateManyAndReturn", "upsert", *DELETE_METHODS})
CREATE_METHODS = frozenset({"create", "createMany", "createManyAndReturn"})
ALL_METHODS = READ_METHODS | WRITE_METHODS | CREATE_METHODS

# ``$transaction`` and the common wrapper ``transaction`` (``const { transaction } = prisma``).
TRANSACTION_METHODS = frozenset({"$transaction", "transaction"})
# Raw-SQL methods and ``Prisma.sql``: the engine hands these calls to :mod:`bhq_migrate.scan.rawsql`.
RAW_AND_SQL = frozenset({"$queryRaw", "$queryRawUnsafe", "$executeRaw", "$executeRawUnsafe", "sql"})
CLIENT_TYPE = re.compile(r"\b(?:TransactionClient|PrismaClient|PrismaService|ExtendedPrismaClient)\b")
