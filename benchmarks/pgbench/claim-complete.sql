-- Generated from PostgresDialect.CLAIM and PostgresDialect.COMPLETE: the statement text is the library's,
-- with {table} = idem_bench.idempotency_record and each ? replaced, in order, by a pgbench variable.
-- PgbenchScriptsTest fails when the dialect's SQL and these scripts drift apart.
-- Variables from the command line (-D, printed by dev.idempotency.benchmarks.PgbenchScripts): scope, fp,
-- lease_ms, ttl_ms, status, headers, body.
-- One transaction per new request: claim a new random key, then complete it with the stored response.
\set key random(100000000000000, 999999999999999)
\set owner random(1, 9223372036854775806)
WITH inserted AS (
    INSERT INTO idem_bench.idempotency_record (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                         response_status, response_headers, response_body, recovery_phase,
                         recovery_payload, created_at, expires_at, completed_at)
    VALUES (:scope, :key, :fp, 'IN_PROGRESS', :owner, statement_timestamp() + :lease_ms * interval '1 millisecond',
            NULL, NULL, NULL, NULL, NULL,
            statement_timestamp(), statement_timestamp() + :ttl_ms * interval '1 millisecond', NULL)
    ON CONFLICT (scope, idempotency_key) DO NOTHING
    RETURNING scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
              response_status, response_headers, response_body, recovery_phase, recovery_payload,
              created_at, expires_at
)
SELECT i.scope, i.idempotency_key, i.fingerprint, i.status, i.owner_token, i.lease_expires_at,
       i.response_status, i.response_headers, i.response_body, i.recovery_phase, i.recovery_payload,
       i.created_at, i.expires_at, TRUE AS acquired, statement_timestamp() AS db_now
  FROM inserted i
UNION ALL
SELECT t.scope, t.idempotency_key, t.fingerprint, t.status, t.owner_token, t.lease_expires_at,
       t.response_status, t.response_headers, t.response_body, t.recovery_phase, t.recovery_payload,
       t.created_at, t.expires_at, FALSE AS acquired, statement_timestamp() AS db_now
  FROM idem_bench.idempotency_record t
 WHERE t.scope = :scope AND t.idempotency_key = :key
   AND NOT EXISTS (SELECT 1 FROM inserted);
UPDATE idem_bench.idempotency_record
   SET status = 'COMPLETED',
       response_status = :status,
       response_headers = :headers,
       response_body = :body,
       lease_expires_at = NULL,
       completed_at = statement_timestamp(),
       expires_at = statement_timestamp() + :ttl_ms * interval '1 millisecond'
 WHERE scope = :scope AND idempotency_key = :key AND owner_token = :owner AND status = 'IN_PROGRESS'
RETURNING expires_at;
