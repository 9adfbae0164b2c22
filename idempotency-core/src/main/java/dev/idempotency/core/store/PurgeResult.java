package dev.idempotency.core.store;

/**
 * The outcome of one {@link IdempotencyStore#purgeExpired} batch.
 *
 * @param deleted how many expired records this batch removed
 * @param batchSize the batch size asked for; when {@code deleted == batchSize} more expired records may remain
 */
public record PurgeResult(int deleted, int batchSize) {

    /** Whether another batch may find more expired records. */
    public boolean mayHaveMore() {
        return deleted >= batchSize;
    }
}
