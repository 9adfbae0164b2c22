package dev.idempotency.jdbc.reliability;

import java.util.Arrays;

/**
 * One request and its response as the client saw it, for {@link HistoryChecker}.
 *
 * @param key the Idempotency-Key sent
 * @param instance which application instance answered (its name or port)
 * @param status the response status, or {@code -1} when no response arrived ({@code error} says why)
 * @param body the response body bytes
 * @param contentType the response's Content-Type, or {@code null}
 * @param replayed whether the response carried {@code Idempotent-Replayed: true}
 * @param startNanos {@link System#nanoTime()} when the request was sent
 * @param endNanos {@link System#nanoTime()} when the response (or the failure) arrived
 * @param error the client-side failure, or {@code null}
 */
public record Exchange(String key, String instance, int status, byte[] body, String contentType, boolean replayed, long startNanos,
        long endNanos, String error) {

    public boolean succeeded() {
        return status >= 200 && status < 300;
    }

    public long millis() {
        return (endNanos - startNanos) / 1_000_000;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Exchange that && key.equals(that.key) && instance.equals(that.instance)
                && status == that.status && Arrays.equals(body, that.body) && replayed == that.replayed
                && startNanos == that.startNanos && endNanos == that.endNanos;
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Long.hashCode(startNanos);
    }

    @Override
    public String toString() {
        return "Exchange[" + key + " via " + instance + ": " + status + (replayed ? " replayed" : "") + ", "
                + body.length + " bytes" + (error == null ? "" : ", " + error) + "]";
    }
}
