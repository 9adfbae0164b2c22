package dev.idempotency.core;

/**
 * The unit of work the engine runs at most once per key. It runs only after the key was claimed, while the
 * engine renews the claim's lease in the background.
 *
 * @param <T> what the work returns; stored through a {@link ResultCodec} so a retry gets it back
 */
@FunctionalInterface
public interface IdempotentWork<T> {

    T run(WorkContext context) throws Exception;
}
