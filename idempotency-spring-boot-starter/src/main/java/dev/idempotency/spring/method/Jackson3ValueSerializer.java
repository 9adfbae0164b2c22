package dev.idempotency.spring.method;

import java.lang.reflect.Type;
import java.util.Objects;
import java.util.function.Supplier;
import tools.jackson.databind.json.JsonMapper;

/** Serializes with Jackson 3, the application's {@link JsonMapper} on Spring Boot 4. */
public final class Jackson3ValueSerializer implements IdempotentValueSerializer {

    private final Supplier<JsonMapper> mapper;

    /** @param mapper the mapper, looked up on first use so the serializer can be created early */
    public Jackson3ValueSerializer(Supplier<JsonMapper> mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public byte[] serialize(Object value) {
        return mapper.get().writeValueAsBytes(value);
    }

    @Override
    public Object deserialize(byte[] bytes, Type type) {
        JsonMapper json = mapper.get();
        return json.readValue(bytes, json.getTypeFactory().constructType(type));
    }
}
