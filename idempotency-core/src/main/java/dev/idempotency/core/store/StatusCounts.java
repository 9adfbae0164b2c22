package dev.idempotency.core.store;

/** The outcome of {@link IdempotencyStore#countByStatus}. */
public sealed interface StatusCounts {

    /**
     * How many records that have not expired the store holds, by status.
     *
     * @param inProgress records in progress, {@code leaseExpired} among them
     * @param leaseExpired records in progress whose lease has run out by the store's clock: their workers are gone,
     *     and the next request with the same key and payload takes them over
     * @param completed completed records, replayed until they expire
     */
    record Counted(long inProgress, long leaseExpired, long completed) implements StatusCounts {
        public Counted {
            if (inProgress < 0 || leaseExpired < 0 || completed < 0 || leaseExpired > inProgress) {
                throw new IllegalArgumentException("inconsistent counts: " + inProgress + " in progress, " + leaseExpired
                        + " of them with an expired lease, " + completed + " completed");
            }
        }
    }

    /** The store cannot count its records cheaply. */
    record Unsupported() implements StatusCounts {}
}
