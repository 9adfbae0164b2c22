package dev.idempotency.spring.web;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How long each protected handler typically runs, from its recent runs: the 90th percentile of the last
 * {@value #WINDOW} durations. It answers a duplicate's {@code Retry-After}, so a client retries about when the first
 * request is likely done rather than when its lease would run out (30 s by default, for a request that takes 200 ms).
 *
 * <p>Memory is bounded by the number of handler methods, each with a fixed window. Recording takes a short lock per
 * handler; the percentile is computed only when a duplicate is answered.
 */
final class HandlerDurations {

    static final int WINDOW = 32;

    private final Map<Method, Window> windows = new ConcurrentHashMap<>();

    void record(Method handler, Duration elapsed) {
        if (handler != null) {
            windows.computeIfAbsent(handler, h -> new Window()).add(elapsed.toMillis());
        }
    }

    /** The 90th percentile of the handler's recent runs; empty before its first run. */
    Optional<Duration> typical(Method handler) {
        Window window = handler == null ? null : windows.get(handler);
        return window == null ? Optional.empty() : window.p90().map(Duration::ofMillis);
    }

    private static final class Window {

        private final long[] millis = new long[WINDOW];
        private int count;
        private int next;

        synchronized void add(long value) {
            millis[next] = value;
            next = (next + 1) % WINDOW;
            count = Math.min(count + 1, WINDOW);
        }

        synchronized Optional<Long> p90() {
            if (count == 0) {
                return Optional.empty();
            }
            long[] sorted = Arrays.copyOf(millis, count);
            Arrays.sort(sorted);
            return Optional.of(sorted[(int) Math.ceil(0.9 * count) - 1]);
        }
    }
}
