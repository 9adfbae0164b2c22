package dev.idempotency.core.store;

import java.util.Objects;

/**
 * How far multi-step work got before it was interrupted: a phase name plus a small payload.
 *
 * <p>Work that runs in several atomic phases (create the ride, charge the card, send the receipt) records a
 * recovery point after each one. When a crashed request's lease expires and a retry takes the key over, the
 * retry sees the last recovery point and resumes from there instead of starting again.
 *
 * @param phase a short name, at most {@value #MAX_PHASE_LENGTH} characters
 * @param payload what the next phase needs, for example the id of the ride created; may be empty, never
 *     {@code null}, at most {@value #MAX_PAYLOAD_LENGTH} characters
 */
public record RecoveryPoint(String phase, String payload) {

    public static final int MAX_PHASE_LENGTH = 64;
    public static final int MAX_PAYLOAD_LENGTH = 4000;

    public RecoveryPoint {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(payload, "payload");
        if (phase.isEmpty() || phase.length() > MAX_PHASE_LENGTH) {
            throw new IllegalArgumentException("phase must have 1 to " + MAX_PHASE_LENGTH + " characters");
        }
        if (payload.length() > MAX_PAYLOAD_LENGTH) {
            throw new IllegalArgumentException("payload must have at most " + MAX_PAYLOAD_LENGTH + " characters");
        }
    }

    public static RecoveryPoint of(String phase) {
        return new RecoveryPoint(phase, "");
    }
}
