package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each problem's status comes from its own {@code idempotency.status.*} property. */
class ProblemStatusTest {

    @Test
    void everyProblemAnswersWithTheStatusConfiguredForIt() {
        IdempotencyProperties.Status status = new IdempotencyProperties.Status();
        Map<IdempotencyProblem, Integer> configured = new EnumMap<>(IdempotencyProblem.class);
        configured.put(IdempotencyProblem.KEY_MISSING, 461);
        configured.put(IdempotencyProblem.KEY_INVALID, 462);
        configured.put(IdempotencyProblem.KEY_IN_USE, 463);
        configured.put(IdempotencyProblem.KEY_REUSED, 464);
        configured.put(IdempotencyProblem.REQUEST_TOO_LARGE, 465);
        configured.put(IdempotencyProblem.INVALID_JSON, 466);
        configured.put(IdempotencyProblem.INVALID_MULTIPART, 467);
        configured.put(IdempotencyProblem.RESPONSE_NOT_REPLAYABLE, 468);
        configured.put(IdempotencyProblem.STORE_UNAVAILABLE, 569);
        configured.put(IdempotencyProblem.PRINCIPAL_REQUIRED, 470);
        status.setKeyMissing(461);
        status.setKeyInvalid(462);
        status.setKeyInUse(463);
        status.setKeyReused(464);
        status.setRequestTooLarge(465);
        status.setInvalidJson(466);
        status.setInvalidMultipart(467);
        status.setResponseNotReplayable(468);
        status.setStoreUnavailable(569);
        status.setPrincipalRequired(470);

        assertThat(configured).containsOnlyKeys(IdempotencyProblem.values());
        configured.forEach((problem, expected) -> assertThat(status.of(problem)).as(problem.name()).isEqualTo(expected));
    }

    @Test
    void theDefaultsAreTheDraftsAnswers() {
        IdempotencyProperties.Status status = new IdempotencyProperties.Status();
        assertThat(status.of(IdempotencyProblem.KEY_MISSING)).isEqualTo(400);
        assertThat(status.of(IdempotencyProblem.KEY_IN_USE)).isEqualTo(409);
        assertThat(status.of(IdempotencyProblem.KEY_REUSED)).isEqualTo(422);
        assertThat(status.of(IdempotencyProblem.REQUEST_TOO_LARGE)).isEqualTo(413);
        assertThat(status.of(IdempotencyProblem.RESPONSE_NOT_REPLAYABLE)).isEqualTo(410);
        assertThat(status.of(IdempotencyProblem.STORE_UNAVAILABLE)).isEqualTo(503);
        assertThat(status.of(IdempotencyProblem.PRINCIPAL_REQUIRED)).isEqualTo(401);
    }
}
