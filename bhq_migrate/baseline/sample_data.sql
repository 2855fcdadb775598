-- Deterministic sample data: every value is a function of the row number, so two runs with the same
-- sizes produce identical tables. Generated server-side with generate_series: millions of rows load
-- without a client round trip per row.
INSERT INTO "Tenant" ("name", "slug", "createdAt", "updatedAt")
SELECT 'Kennel ' || g, 'kennel-' || g, timestamp '2024-01-01' + g * interval '1 hour', timestamp '2024-01-01'
FROM generate_series(1, %(tenants)s) AS g;

INSERT INTO "Contact" ("tenantId", "name", "email", "marketplaceUserId", "createdAt", "updatedAt")
SELECT 1 + g %% %(tenants)s, 'Contact ' || g, 'contact' || g || '@example.com',
       CASE WHEN g %% 3 = 0 THEN g END,
       timestamp '2024-01-01' + g * interval '1 minute', timestamp '2024-01-01'
FROM generate_series(1, %(contacts)s) AS g;

INSERT INTO "Animal" ("tenantId", "name", "species", "breed", "createdAt", "updatedAt")
SELECT 1 + g %% %(tenants)s, 'Animal ' || g, (ARRAY['dog', 'cat', 'horse'])[1 + g %% 3], 'Breed ' || (g %% 40),
       timestamp '2024-01-01' + g * interval '1 minute', timestamp '2024-01-01'
FROM generate_series(1, %(animals)s) AS g;

INSERT INTO "Invoice" ("tenantId", "invoiceNumber", "status", "clientPartyId", "amountCents", "balanceCents",
                       "depositCents", "createdAt", "updatedAt")
SELECT 1 + g %% %(tenants)s, 'INV-' || g, (ARRAY['draft', 'sent', 'paid', 'void'])[1 + g %% 4],
       -- A contact of the invoice's own tenant (contact c belongs to tenant 1 + c %% tenants): the j-th of
       -- the n contacts whose id is congruent to g, so no reference crosses tenants (plan 004 refuses those).
       CASE WHEN g %% 5 = 0 OR same.n = 0 THEN NULL
            ELSE g %% %(tenants)s + %(tenants)s * ((g / %(tenants)s) %% same.n + (g %% %(tenants)s = 0)::int) END,
       (g::bigint * 7919) %% 2000000, ((g::bigint * 7919) %% 2000000) / 2,
       CASE WHEN g %% 2 = 0 THEN (g::bigint * 31) %% 50000 END,
       timestamp '2024-01-01' + g * interval '1 second', timestamp '2024-01-01'
FROM generate_series(1, %(invoices)s) AS g,
     LATERAL (SELECT CASE WHEN g %% %(tenants)s = 0 THEN %(contacts)s / %(tenants)s
                          WHEN %(contacts)s >= g %% %(tenants)s
                          THEN (%(contacts)s - g %% %(tenants)s) / %(tenants)s + 1
                          ELSE 0 END AS n) AS same;

INSERT INTO "Payment" ("tenantId", "invoiceId", "amountCents", "status", "method", "createdAt", "updatedAt")
SELECT 1 + (1 + g %% %(invoices)s) %% %(tenants)s, 1 + g %% %(invoices)s, (g::bigint * 104729) %% 1000000,
       (ARRAY['pending', 'succeeded', 'failed'])[1 + g %% 3], (ARRAY['card', 'cash', 'transfer'])[1 + g %% 3],
       timestamp '2024-01-01' + g * interval '1 second', timestamp '2024-01-01'
FROM generate_series(1, %(payments)s) AS g
WHERE %(invoices)s > 0;
