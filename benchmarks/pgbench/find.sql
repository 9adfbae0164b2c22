-- Generated from SqlDialect.find as PostgresDialect renders it ({now} = statement_timestamp()), with
-- {table} = idem_bench.idempotency_record and each ? replaced, in order, by a pgbench variable.
-- PgbenchScriptsTest fails when the dialect's SQL and this script drift apart.
-- One transaction per lookup of one of the 100,000 completed keys, by primary key.
\set key random(1, 100000)
SELECT scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at, response_status, response_headers, response_body, recovery_phase, recovery_payload, created_at, expires_at
 FROM idem_bench.idempotency_record
WHERE scope = :scope AND idempotency_key = :key AND expires_at > statement_timestamp();
