package dev.idempotency.core;

import dev.idempotency.core.store.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/** Ready-made {@link ResultCodec}s. */
public final class ResultCodecs {

    private static final int NON_HTTP_STATUS = 0;

    private ResultCodecs() {}

    /** For callers whose result already is a stored response, such as the HTTP filter. */
    public static ResultCodec<StoredResponse> storedResponse() {
        return new ResultCodec<>() {
            @Override
            public StoredResponse encode(StoredResponse result) {
                return result;
            }

            @Override
            public StoredResponse decode(StoredResponse stored) {
                return stored;
            }
        };
    }

    /** Stores a string as UTF-8; {@code null} is not allowed. */
    public static ResultCodec<String> utf8() {
        return of(s -> s.getBytes(StandardCharsets.UTF_8), bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /** Stores bytes as they are. */
    public static ResultCodec<byte[]> bytes() {
        return of(b -> b, b -> b);
    }

    /** For work run only for its effect: nothing is stored but the fact that it completed. */
    public static ResultCodec<Void> none() {
        return new ResultCodec<>() {
            @Override
            public StoredResponse encode(Void result) {
                return StoredResponse.of(NON_HTTP_STATUS, new byte[0]);
            }

            @Override
            public Void decode(StoredResponse stored) {
                return null;
            }
        };
    }

    /**
     * Builds a codec from a pair of functions, for example a JSON mapper's {@code writeValueAsBytes} and
     * {@code readValue}.
     */
    public static <T> ResultCodec<T> of(Function<T, byte[]> serializer, Function<byte[], T> deserializer) {
        Objects.requireNonNull(serializer, "serializer");
        Objects.requireNonNull(deserializer, "deserializer");
        return new ResultCodec<>() {
            @Override
            public StoredResponse encode(T result) {
                return new StoredResponse(NON_HTTP_STATUS, Map.of(), serializer.apply(Objects.requireNonNull(result, "result")));
            }

            @Override
            public T decode(StoredResponse stored) {
                return deserializer.apply(stored.body());
            }
        };
    }
}
