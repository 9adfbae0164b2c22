package dev.idempotency.spring.web;

import dev.idempotency.core.ResultCodec;
import dev.idempotency.core.store.StoredResponse;
import java.util.List;
import java.util.Map;

/**
 * What a protected handler produced: the parts of the response that are stored for replay, or why the response
 * cannot be stored.
 *
 * @param status the HTTP status
 * @param headers the allowlisted response headers
 * @param body the body bytes (empty when not storable)
 * @param unstorableReason {@code null} when the response was fully captured; otherwise why it was not
 */
record HttpResult(int status, Map<String, List<String>> headers, byte[] body, String unstorableReason) {

    static final ResultCodec<HttpResult> CODEC = new ResultCodec<>() {
        @Override
        public StoredResponse encode(HttpResult result) {
            return new StoredResponse(result.status(), result.headers(), result.body());
        }

        @Override
        public HttpResult decode(StoredResponse stored) {
            return new HttpResult(stored.status(), stored.headers(), stored.body(), null);
        }
    };

    boolean storable() {
        return unstorableReason == null;
    }
}
