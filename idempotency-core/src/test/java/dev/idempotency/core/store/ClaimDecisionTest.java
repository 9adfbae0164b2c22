package dev.idempotency.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Each branch of the claim rule, and its boundaries: an expiry or a lease ending exactly now has passed. */
class ClaimDecisionTest {

    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final IdempotencyKey KEY = IdempotencyKey.of("scope", "key");
    private static final RequestFingerprint SAME = RequestFingerprint.of("same");
    private static final RequestFingerprint OTHER = RequestFingerprint.of("other");
    private static final ClaimRequest REQUEST =
            new ClaimRequest(KEY, SAME, OwnerToken.random(), Duration.ofSeconds(30), Duration.ofHours(24));

    @Test
    void noRecordIsInserted() {
        ClaimDecision decision = ClaimDecision.decide(null, REQUEST, NOW);

        assertThat(decision).isInstanceOf(ClaimDecision.Insert.class);
        assertThat(decision.acquires()).isTrue();
    }

    @Test
    void aCompletedRecordWhoseTtlPassedIsReclaimed() {
        IdempotencyRecord expired = completed(SAME, NOW.minusMillis(1));

        assertThat(ClaimDecision.decide(expired, REQUEST, NOW)).isEqualTo(new ClaimDecision.Reclaim(expired));
    }

    @Test
    void aRecordExpiringExactlyNowIsReclaimed() {
        IdempotencyRecord expiringNow = completed(OTHER, NOW);

        assertThat(ClaimDecision.decide(expiringNow, REQUEST, NOW)).isEqualTo(new ClaimDecision.Reclaim(expiringNow));
    }

    @Test
    void anInProgressRecordWhoseTtlPassedIsReclaimedNotTakenOverWhateverItsFingerprint() {
        IdempotencyRecord expired = inProgress(OTHER, NOW.minusSeconds(2), NOW.minusSeconds(1));

        ClaimDecision decision = ClaimDecision.decide(expired, REQUEST, NOW);

        assertThat(decision).isEqualTo(new ClaimDecision.Reclaim(expired));
        assertThat(decision.acquires()).isTrue();
    }

    @Test
    void anInProgressRecordWithAnExpiredLeaseAndTheSameFingerprintIsTakenOver() {
        IdempotencyRecord abandoned = inProgress(SAME, NOW.minusMillis(1), NOW.plusSeconds(60));

        ClaimDecision decision = ClaimDecision.decide(abandoned, REQUEST, NOW);

        assertThat(decision).isEqualTo(new ClaimDecision.Takeover(abandoned));
        assertThat(decision.acquires()).isTrue();
    }

    @Test
    void aLeaseEndingExactlyNowHasExpired() {
        IdempotencyRecord abandoned = inProgress(SAME, NOW, NOW.plusSeconds(60));

        assertThat(ClaimDecision.decide(abandoned, REQUEST, NOW)).isEqualTo(new ClaimDecision.Takeover(abandoned));
    }

    @Test
    void aLiveLeaseIsTheAnswer() {
        IdempotencyRecord live = inProgress(SAME, NOW.plusMillis(1), NOW.plusSeconds(60));

        ClaimDecision decision = ClaimDecision.decide(live, REQUEST, NOW);

        assertThat(decision).isEqualTo(new ClaimDecision.Answer(live));
        assertThat(decision.acquires()).isFalse();
        assertThat(((ClaimDecision.Answer) decision).result()).isEqualTo(new ClaimResult.InProgress(live));
    }

    @Test
    void anExpiredLeaseWithAnotherFingerprintIsTheAnswerNotATakeover() {
        IdempotencyRecord abandoned = inProgress(OTHER, NOW.minusSeconds(1), NOW.plusSeconds(60));

        ClaimDecision decision = ClaimDecision.decide(abandoned, REQUEST, NOW);

        assertThat(decision).isEqualTo(new ClaimDecision.Answer(abandoned));
        assertThat(((ClaimDecision.Answer) decision).result()).isEqualTo(new ClaimResult.InProgress(abandoned));
    }

    @Test
    void aCompletedRecordWithinItsTtlIsTheAnswer() {
        IdempotencyRecord completed = completed(SAME, NOW.plusMillis(1));

        ClaimDecision decision = ClaimDecision.decide(completed, REQUEST, NOW);

        assertThat(decision).isEqualTo(new ClaimDecision.Answer(completed));
        assertThat(((ClaimDecision.Answer) decision).result()).isEqualTo(new ClaimResult.AlreadyCompleted(completed));
    }

    private static IdempotencyRecord inProgress(RequestFingerprint fingerprint, Instant leaseExpiresAt,
            Instant expiresAt) {
        return new IdempotencyRecord(KEY, fingerprint, IdempotencyStatus.IN_PROGRESS, OwnerToken.random(),
                leaseExpiresAt, null, null, NOW.minusSeconds(600), expiresAt);
    }

    private static IdempotencyRecord completed(RequestFingerprint fingerprint, Instant expiresAt) {
        return new IdempotencyRecord(KEY, fingerprint, IdempotencyStatus.COMPLETED, OwnerToken.random(), null,
                new StoredResponse(200, java.util.Map.of(), new byte[0]), null, NOW.minusSeconds(600), expiresAt);
    }
}
