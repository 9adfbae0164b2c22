package dev.idempotency.jdbc.reliability;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives the database outage scenario against any HTTP application behind a {@link CuttableTcpProxy}: client threads
 * send requests with fresh keys while the proxy is cut and restored, and afterwards every key that did not end in a
 * stored result is retried until it does. The application under test decides the rest; the caller asserts.
 */
public final class OutageLoad {

    /**
     * What happened, on the {@link System#nanoTime()} clock of the exchanges.
     *
     * @param cutAt when the proxy was cut
     * @param restoredAt when it was restored
     * @param recoveredAt when the first request sent after the restore succeeded, or {@code -1}
     * @param outageKeys keys whose request overlapped the outage
     * @param resolveMillis for each key retried after the load, how long until it succeeded or replayed; absent if
     *     it never did
     * @param unresolved keys that never succeeded
     */
    public record Timeline(long cutAt, long restoredAt, long recoveredAt, Set<String> outageKeys,
            Map<String, Long> resolveMillis, Set<String> unresolved) {

        public long recoveryMillis() {
            return recoveredAt < 0 ? -1 : (recoveredAt - restoredAt) / 1_000_000;
        }

        public long maxResolveMillis() {
            return resolveMillis.values().stream().mapToLong(Long::longValue).max().orElse(0);
        }
    }

    private OutageLoad() {}

    /**
     * @param targets the application instances; client threads take turns
     * @param settle how long to keep the load up after the first success following the restore
     * @param resolveDeadline how long the retries of the unfinished keys may take in all
     */
    public static Timeline run(List<URI> targets, ReliabilityClient client, CuttableTcpProxy proxy, int threads,
            Duration warmup, Duration outage, Duration settle, Duration resolveDeadline, String body)
            throws Exception {
        HttpHistory history = client.history();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger sequence = new AtomicInteger();
        long[] marks = {-1, -1};
        Set<String> allKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
        StopFlag stop = new StopFlag();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            URI target = targets.get(t % targets.size());
            String instance = target.getAuthority();
            workers.add(pool.submit(() -> {
                while (!stop.stop) {
                    String key = "outage-" + sequence.incrementAndGet();
                    allKeys.add(key);
                    client.post(target, instance, key, body);
                }
                return null;
            }));
        }
        Thread.sleep(warmup.toMillis());
        marks[0] = System.nanoTime();
        proxy.cut();
        Thread.sleep(outage.toMillis());
        marks[1] = System.nanoTime();
        proxy.restore();
        long recoveredAt = -1;
        long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (recoveredAt < 0 && System.nanoTime() < giveUp) {
            Thread.sleep(50);
            recoveredAt = history.exchanges().stream()
                    .filter(e -> e.startNanos() >= marks[1] && e.succeeded())
                    .mapToLong(Exchange::endNanos).min().orElse(-1);
        }
        Thread.sleep(settle.toMillis());
        stop.stop = true;
        for (Future<?> worker : workers) {
            worker.get();
        }

        Set<String> outageKeys = new LinkedHashSet<>();
        Map<String, Exchange> last = new LinkedHashMap<>();
        for (Exchange e : history.exchanges()) {
            if (e.endNanos() >= marks[0] && e.startNanos() <= marks[1]) {
                outageKeys.add(e.key());
            }
            last.merge(e.key(), e, (a, b) -> a.endNanos() >= b.endNanos() ? a : b);
        }
        // Every key used during the outage, and every key whose last answer was not a success, must resolve.
        Set<String> toResolve = new LinkedHashSet<>(outageKeys);
        last.forEach((key, e) -> {
            if (!e.succeeded()) {
                toResolve.add(key);
            }
        });
        Map<String, Long> resolveMillis = new java.util.concurrent.ConcurrentHashMap<>();
        long resolveStart = System.nanoTime();
        long resolveEnd = resolveStart + resolveDeadline.toNanos();
        List<Future<?>> retries = new ArrayList<>();
        int i = 0;
        for (String key : toResolve) {
            URI target = targets.get(i++ % targets.size());
            retries.add(pool.submit(() -> {
                while (System.nanoTime() < resolveEnd) {
                    Exchange e = client.post(target, target.getAuthority(), key, body);
                    if (e.succeeded()) {
                        resolveMillis.put(key, (e.endNanos() - resolveStart) / 1_000_000);
                        return null;
                    }
                    Thread.sleep(200);
                }
                return null;
            }));
        }
        for (Future<?> retry : retries) {
            retry.get();
        }
        pool.shutdown();
        Set<String> unresolved = new LinkedHashSet<>(toResolve);
        unresolved.removeAll(resolveMillis.keySet());
        return new Timeline(marks[0], marks[1], recoveredAt, outageKeys, resolveMillis, unresolved);
    }

    private static final class StopFlag {
        volatile boolean stop;
    }
}
