package dev.idempotency.spring.web;

import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.ResultCodec;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.spring.NotReplayableReason;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a protected handler produced: the parts of the response that are stored for replay, or, for a response that
 * cannot be replayed, its status and replayable headers with the reason.
 *
 * @param status the HTTP status
 * @param headers the allowlisted response headers
 * @param body the body bytes (empty when not replayable)
 * @param notReplayable {@code null} when the response was fully captured; otherwise why it cannot be replayed
 */
record HttpResult(int status, Map<String, List<String>> headers, byte[] body, NotReplayableReason notReplayable) {

    /**
     * Marks a stored response that must not be replayed. A colon cannot start an HTTP field name, so no response
     * header can collide with it, and it is never in the replay allowlist.
     */
    static final String NOT_REPLAYABLE_MARKER = ":not-replayable";

    static final ResultCodec<HttpResult> CODEC = new ResultCodec<>() {
        @Override
        public StoredResponse encode(HttpResult result) {
            if (result.replayable()) {
                return new StoredResponse(result.status(), result.headers(), result.body());
            }
            Map<String, List<String>> headers = new LinkedHashMap<>(result.headers());
            headers.put(NOT_REPLAYABLE_MARKER, List.of(result.notReplayable().name()));
            return new StoredResponse(result.status(), headers, new byte[0]);
        }

        @Override
        public HttpResult decode(StoredResponse stored) {
            List<String> marker = stored.headers().get(NOT_REPLAYABLE_MARKER);
            if (marker == null) {
                return new HttpResult(stored.status(), stored.headers(), stored.body(), null);
            }
            Map<String, List<String>> headers = new LinkedHashMap<>(stored.headers());
            headers.remove(NOT_REPLAYABLE_MARKER);
            return new HttpResult(stored.status(), headers, new byte[0], reason(marker));
        }
    };

    /**
     * Which results are stored: work that ran is never released because its response cannot be replayed, only
     * failures the client may retry are (5xx unless {@code storeServerErrors}, and the release statuses). Work that
     * finished after its request ended has no response to judge, so it is stored.
     */
    static OutcomePolicy<HttpResult> outcomePolicy(Collection<Integer> releaseStatuses, boolean storeServerErrors) {
        Set<Integer> released = Set.copyOf(releaseStatuses);
        return result -> result.notReplayable() == NotReplayableReason.WORK_OUTLIVED_REQUEST
                || result.notReplayable() == NotReplayableReason.OUTCOME_UNKNOWN
                || ((storeServerErrors || result.status() < 500) && !released.contains(result.status()));
    }

    static HttpResult notReplayable(int status, Map<String, List<String>> headers, NotReplayableReason reason) {
        return new HttpResult(status, headers, new byte[0], reason);
    }

    boolean replayable() {
        return notReplayable == null;
    }

    private static NotReplayableReason reason(List<String> marker) {
        try {
            return NotReplayableReason.valueOf(marker.isEmpty() ? "" : marker.get(0));
        } catch (IllegalArgumentException e) {
            // Written by a newer version: what matters is that it must not be replayed.
            return NotReplayableReason.OUTCOME_UNKNOWN;
        }
    }
}
