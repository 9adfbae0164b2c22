package dev.idempotency.spring.method;

import dev.idempotency.spring.Idempotent;
import java.lang.reflect.Type;

/**
 * Turns the return value of an {@link Idempotent} bean method into bytes, so that a duplicate call gets an equal value
 * back, and a {@linkplain Idempotent#fingerprint() fingerprint} value into bytes to hash. The starter provides one
 * over the application's JSON mapper: Jackson 3's {@code JsonMapper} when it is on the classpath (Spring Boot 4),
 * otherwise Jackson 2's {@code ObjectMapper} (Spring Boot 3). Define a bean of this type to use another format.
 */
public interface IdempotentValueSerializer {

    /** Serializes {@code value}, which may be {@code null}. */
    byte[] serialize(Object value);

    /**
     * Reads back what {@link #serialize} wrote.
     *
     * @param type the method's generic return type, such as {@code List<Shipment>}
     */
    Object deserialize(byte[] bytes, Type type);
}
