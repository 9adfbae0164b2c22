package dev.idempotency.jdbc.dialect;

import java.sql.SQLTransientException;

/**
 * A claim saw the key's row in a state that a concurrent transaction had already changed, so what it saw cannot
 * decide the claim. The claim changed nothing that outlives its own transaction, and running it again will see the
 * newer row: {@link dev.idempotency.jdbc.JdbcIdempotencyStore} does so, like after a deadlock.
 */
public class StaleClaimException extends SQLTransientException {

    public StaleClaimException(String message) {
        super(message);
    }
}
