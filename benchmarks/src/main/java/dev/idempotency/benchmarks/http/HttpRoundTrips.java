package dev.idempotency.benchmarks.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the database round trips of one HTTP request to a running {@link BenchmarkApplication} on the JDBC store:
 * a request with a new key, and a replay. Prints {@code RESULT} lines for {@code run.sh}.
 *
 * <pre>
 * java -cp ... dev.idempotency.benchmarks.http.HttpRoundTrips http://127.0.0.1:18080
 * </pre>
 */
public final class HttpRoundTrips {

    private static final int REQUESTS = 200;
    private static final Pattern COUNT = Pattern.compile("\"(\\w+)\":(\\d+)");

    private HttpRoundTrips() {}

    public static void main(String[] args) throws Exception {
        String base = args[0];
        HttpClient client = HttpClient.newHttpClient();
        String run = UUID.randomUUID().toString();
        post(client, base + "/bench/jdbc/reset", null, 200);
        for (int i = 0; i < REQUESTS; i++) {
            post(client, base + "/idempotent", run + "-" + i, 200);
        }
        print("http-new-request", get(client, base + "/bench/jdbc"));
        post(client, base + "/bench/jdbc/reset", null, 200);
        for (int i = 0; i < REQUESTS; i++) {
            HttpResponse<String> response = post(client, base + "/idempotent", run + "-" + i, 200);
            if (!"true".equals(response.headers().firstValue("Idempotent-Replayed").orElse(null))) {
                throw new IllegalStateException("not a replay: " + response.headers().map());
            }
        }
        print("http-replay", get(client, base + "/bench/jdbc"));
    }

    private static HttpResponse<String> post(HttpClient client, String url, String key, int expected) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":100,\"currency\":\"EUR\"}"));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return response;
    }

    private static String get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void print(String name, String countsJson) {
        long roundTrips = -1;
        long statements = -1;
        long connections = -1;
        Matcher matcher = COUNT.matcher(countsJson);
        while (matcher.find()) {
            long value = Long.parseLong(matcher.group(2));
            switch (matcher.group(1)) {
                case "roundTrips" -> roundTrips = value;
                case "statements" -> statements = value;
                case "connections" -> connections = value;
                default -> { }
            }
        }
        System.out.printf("RESULT\troundtrips\t%s\t-\t%.2f\tround trips/request (statements %.2f, connections %.2f)%n", name,
                (double) roundTrips / REQUESTS, (double) statements / REQUESTS, (double) connections / REQUESTS);
    }
}
