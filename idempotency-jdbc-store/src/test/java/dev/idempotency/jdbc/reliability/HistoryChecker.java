package dev.idempotency.jdbc.reliability;

import dev.idempotency.core.store.StoredResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a recorded {@link HttpHistory} against what the server side did, the way a linearizability checker
 * checks a history: it needs no knowledge of the interleaving, only the two invariants of idempotency.
 *
 * <ol>
 *   <li><b>Executed once.</b> Every key whose work completed (the store holds a stored response for it) was
 *       executed exactly once, as counted on the server side by the scenario (handler runs, or rows of a side
 *       effect).</li>
 *   <li><b>Replays are the original.</b> Every response marked as a replay has the status and the body bytes of
 *       the stored response of its key. So does every successful first response of a key that completed: the
 *       client was told exactly what later retries are told.</li>
 * </ol>
 *
 * Keys that never completed (every attempt was rejected, or the work's result was never stored) must have no
 * replays. The checker collects every violation rather than stopping at the first, so a failing run shows its
 * whole extent.
 */
public final class HistoryChecker {

    private HistoryChecker() {}

    /**
     * @param history what the clients saw
     * @param storedByKey the stored response of every completed key, read from the store after the run
     * @param executionsByKey how often each key's work took effect on the server side
     */
    public static Verdict check(List<Exchange> history, Map<String, StoredResponse> storedByKey,
            Map<String, Long> executionsByKey) {
        List<String> violations = new ArrayList<>();
        Map<String, List<Exchange>> byKey = new LinkedHashMap<>();
        for (Exchange exchange : history) {
            byKey.computeIfAbsent(exchange.key(), k -> new ArrayList<>()).add(exchange);
        }
        long replays = 0;
        long firsts = 0;
        for (Map.Entry<String, StoredResponse> completed : storedByKey.entrySet()) {
            long executions = executionsByKey.getOrDefault(completed.getKey(), 0L);
            if (executions != 1) {
                violations.add(completed.getKey() + " completed but was executed " + executions + " times");
            }
        }
        for (Map.Entry<String, List<Exchange>> entry : byKey.entrySet()) {
            String key = entry.getKey();
            StoredResponse stored = storedByKey.get(key);
            for (Exchange exchange : entry.getValue()) {
                if (exchange.replayed()) {
                    replays++;
                } else if (exchange.succeeded()) {
                    firsts++;
                }
                if (!exchange.replayed() && !exchange.succeeded()) {
                    continue;
                }
                if (stored == null) {
                    if (exchange.replayed()) {
                        violations.add(exchange + " is a replay of a key that has no stored response");
                    }
                    continue;
                }
                if (exchange.status() != stored.status() || !Arrays.equals(exchange.body(), stored.body())) {
                    violations.add(exchange + " differs from the stored response " + stored + ": "
                            + preview(exchange.body()) + " vs " + preview(stored.body()));
                }
            }
        }
        return new Verdict(byKey.size(), history.size(), firsts, replays, storedByKey.size(), violations);
    }

    private static String preview(byte[] body) {
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }

    /**
     * What the check found.
     *
     * @param keys distinct keys in the history
     * @param exchanges requests in the history
     * @param firstResponses successful responses not marked as replays
     * @param replays responses marked as replays
     * @param completedKeys keys with a stored response
     * @param violations one line per broken invariant; empty when the history is correct
     */
    public record Verdict(int keys, int exchanges, long firstResponses, long replays, int completedKeys,
            List<String> violations) {

        public boolean ok() {
            return violations.isEmpty();
        }

        public String summary() {
            return "history: " + exchanges + " exchanges, " + keys + " keys, " + completedKeys + " completed, "
                    + firstResponses + " first responses, " + replays + " replays, " + violations.size()
                    + " violations";
        }

        /** The summary and the first violations, for an assertion message. */
        public String describe() {
            return summary() + (violations.isEmpty() ? "" : "\n  " + String.join("\n  ",
                    violations.subList(0, Math.min(20, violations.size()))));
        }
    }
}
