package dev.idempotency.core;

import dev.idempotency.core.store.StoredResponse;

/**
 * Turns a work result into a {@link StoredResponse} and back, so that a replay returns an equal value.
 * {@link ResultCodecs} has codecs for strings, bytes, stored responses and results that carry nothing.
 */
public interface ResultCodec<T> {

    StoredResponse encode(T result);

    T decode(StoredResponse stored);
}
