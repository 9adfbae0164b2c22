package dev.idempotency.jdbc.reliability;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Sends {@code POST} requests with an {@code Idempotency-Key} and records every exchange, answered or not, in a
 * {@link HttpHistory}. A request that gets no answer within the timeout is recorded with status {@code -1}.
 */
public final class ReliabilityClient {

    private final HttpClient client;
    private final HttpHistory history;
    private final Duration timeout;
    private final Map<String, String> headers;

    public ReliabilityClient(HttpHistory history, Duration timeout, Executor executor) {
        this(history, timeout, executor, Map.of());
    }

    /**
     * A client that sends {@code headers} with every request too, e.g. the caller's credentials for an application
     * that scopes keys per caller.
     */
    public ReliabilityClient(HttpHistory history, Duration timeout, Executor executor, Map<String, String> headers) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        if (executor != null) {
            builder.executor(executor);
        }
        this.client = builder.build();
        this.history = history;
        this.timeout = timeout;
        this.headers = Map.copyOf(headers);
    }

    public HttpHistory history() {
        return history;
    }

    /** Sends and waits; the exchange is recorded whatever happens. */
    public Exchange post(URI uri, String instance, String key, String body) {
        return postAsync(uri, instance, key, body).join();
    }

    /** Sends without waiting; the future completes (never exceptionally) with the recorded exchange. */
    public CompletableFuture<Exchange> postAsync(URI uri, String instance, String key, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(builder::header);
        HttpRequest request = builder.build();
        long start = System.nanoTime();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).handle((response, failure) -> {
            long end = System.nanoTime();
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                return history.record(new Exchange(key, instance, -1, new byte[0], null, false, start, end,
                        cause.getClass().getSimpleName() + ": " + cause.getMessage()));
            }
            boolean replayed = response.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase)
                    .orElse(false);
            return history.record(new Exchange(key, instance, response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(null), replayed, start,
                    end, null));
        });
    }
}
