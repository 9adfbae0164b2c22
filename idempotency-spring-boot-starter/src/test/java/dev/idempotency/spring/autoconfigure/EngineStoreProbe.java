package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.IdempotencyStore;
import java.util.UUID;

/** Which store an engine was built with, found out the way the engine shows it: where its records land. */
final class EngineStoreProbe {

    private EngineStoreProbe() {}

    /** {@code true} when a request run by {@code engine} leaves its record in {@code store}. */
    static boolean writesTo(IdempotencyEngine engine, IdempotencyStore store) {
        IdempotencyKey key = IdempotencyKey.of("engine-store-probe", UUID.randomUUID().toString());
        engine.execute(IdempotentRequest.of(key, RequestFingerprint.of("probe")), ResultCodecs.utf8(), work -> "probed");
        return store.find(key).isPresent();
    }
}
