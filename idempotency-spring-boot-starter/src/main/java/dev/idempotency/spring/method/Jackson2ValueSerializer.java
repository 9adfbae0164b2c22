package dev.idempotency.spring.method;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.util.Objects;
import java.util.function.Supplier;

/** Serializes with Jackson 2, the application's {@link ObjectMapper} on Spring Boot 3. */
public final class Jackson2ValueSerializer implements IdempotentValueSerializer {

    private final Supplier<ObjectMapper> mapper;

    /** @param mapper the mapper, looked up on first use so the serializer can be created early */
    public Jackson2ValueSerializer(Supplier<ObjectMapper> mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public byte[] serialize(Object value) {
        try {
            return mapper.get().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not serialize " + value.getClass().getName(), e);
        }
    }

    @Override
    public Object deserialize(byte[] bytes, Type type) {
        ObjectMapper json = mapper.get();
        try {
            return json.readValue(bytes, json.getTypeFactory().constructType(type));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read a stored " + type.getTypeName(), e);
        }
    }
}
