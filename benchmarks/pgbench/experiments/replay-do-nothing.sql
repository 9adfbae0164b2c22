-- NOT the library's statement: an experiment. The replay script's claim with ON CONFLICT ... DO NOTHING instead
-- of DO UPDATE ... WHERE. DO UPDATE locks the conflicting row even when its WHERE is false, so a replay through
-- the library's claim assigns a transaction id, writes WAL and waits for the commit to be flushed; DO NOTHING
-- only reads. This script sizes that difference. (A real claim would then need a second, conditional UPDATE for
-- the rare expired or taken-over row.)
\set key random(1, 100000)
\set owner random(1, 9223372036854775806)
WITH claimed AS (
    INSERT INTO idem_bench.idempotency_record AS r (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                             response_status, response_headers, response_body, recovery_phase,
                             recovery_payload, created_at, expires_at, completed_at)
    VALUES (:scope, :key, :fp, 'IN_PROGRESS', :owner, statement_timestamp() + :lease_ms * interval '1 millisecond',
            NULL, NULL, NULL, NULL, NULL,
            statement_timestamp(), statement_timestamp() + :ttl_ms * interval '1 millisecond', NULL)
    ON CONFLICT (scope, idempotency_key) DO NOTHING
    RETURNING r.scope, r.idempotency_key, r.fingerprint, r.status, r.owner_token, r.lease_expires_at,
              r.response_status, r.response_headers, r.response_body, r.recovery_phase,
              r.recovery_payload, r.created_at, r.expires_at
)
SELECT c.scope, c.idempotency_key, c.fingerprint, c.status, c.owner_token, c.lease_expires_at,
       c.response_status, c.response_headers, c.response_body, c.recovery_phase, c.recovery_payload,
       c.created_at, c.expires_at, TRUE AS acquired, statement_timestamp() AS db_now
  FROM claimed c
UNION ALL
SELECT t.scope, t.idempotency_key, t.fingerprint, t.status, t.owner_token, t.lease_expires_at,
       t.response_status, t.response_headers, t.response_body, t.recovery_phase, t.recovery_payload,
       t.created_at, t.expires_at, FALSE AS acquired, statement_timestamp() AS db_now
  FROM idem_bench.idempotency_record t
 WHERE t.scope = :scope AND t.idempotency_key = :key AND t.expires_at > statement_timestamp()
   AND NOT EXISTS (SELECT 1 FROM claimed);
