package dev.idempotency.examples.payments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A client for the running app over real HTTP, as a user of the API would call it. */
final class PaymentsApi {

    static final String ALICE = "alice:alice-pass";
    static final String BOB = "bob:bob-pass";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    PaymentsApi(int port) {
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** {@code POST /payments} with the key header, or without it when {@code key} is {@code null}. */
    HttpResponse<String> pay(String user, String key, String json) {
        HttpRequest.Builder request = request(user, "/payments")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return send(request.build());
    }

    HttpResponse<String> get(String user, String path) {
        return send(request(user, path).GET().build());
    }

    private HttpRequest.Builder request(String user, String path) {
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String body(long amount, String currency, String description) {
        return description == null
                ? "{\"amount\":%d,\"currency\":\"%s\"}".formatted(amount, currency)
                : "{\"amount\":%d,\"currency\":\"%s\",\"description\":\"%s\"}".formatted(amount, currency, description);
    }
}
