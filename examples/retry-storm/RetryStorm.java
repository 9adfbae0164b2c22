import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A retry storm against the payments example: for each of {@code --keys} new idempotency keys, fire
 * {@code --duplicates} identical requests at once, then {@code --retries} more one after another, and check that
 * the server created exactly one payment and one gateway charge per key.
 *
 * <p>A single-file program: run it with {@code java examples/retry-storm/RetryStorm.java}, no build needed. It uses
 * only java.net.http. Exit status 0 means PASS, 1 means FAIL, 2 means bad arguments or an unreachable server.
 *
 * <pre>
 * java examples/retry-storm/RetryStorm.java [--url http://localhost:8080] [--user alice:alice-pass]
 *                                           [--keys 5] [--duplicates 20] [--retries 5]
 * </pre>
 */
public class RetryStorm {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern REFERENCE = Pattern.compile("\"reference\"\\s*:\\s*\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        int status = run(args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the storm and prints the summary; returns the exit status (0 PASS, 1 FAIL, 2 usage or I/O error). */
    public static int run(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        if (options == null) {
            System.err.println("usage: java RetryStorm.java [--url http://localhost:8080] [--user alice:alice-pass] "
                    + "[--keys 5] [--duplicates 20] [--retries 5]");
            return 2;
        }
        URI url = URI.create(options.get("url").replaceAll("/+$", "") + "/");
        String user = options.get("user");
        int keys = Integer.parseInt(options.get("keys"));
        int duplicates = Integer.parseInt(options.get("duplicates"));
        int retries = Integer.parseInt(options.get("retries"));
        String authorization = "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8));

        // One thread per concurrent duplicate, each blocked in send(); the client keeps its own executor for I/O.
        ExecutorService threads = Executors.newFixedThreadPool(Math.max(1, duplicates));
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        try {
            Set<String> paymentsBefore;
            List<String> chargesBefore;
            try {
                paymentsBefore = new HashSet<>(matches(ID, get(http, url.resolve("payments"), authorization)));
                chargesBefore = matches(REFERENCE, get(http, url.resolve("gateway/charges"), authorization));
            } catch (Exception e) {
                System.err.println("Cannot read " + url + "payments and " + url + "gateway/charges as "
                        + user.replaceAll(":.*", "") + ": " + e);
                return 2;
            }

            System.out.printf("Retry storm against %s as %s: %d keys, each %d concurrent duplicates then %d sequential retries%n",
                    url, user.replaceAll(":.*", ""), keys, duplicates, retries);
            String run = UUID.randomUUID().toString().substring(0, 8);
            int sent = 0;
            int replays = 0;
            int conflicts = 0;
            int executed = 0;
            Map<Integer, Integer> otherStatuses = new TreeMap<>();
            Map<String, Set<String>> paymentIdsByKey = new LinkedHashMap<>();
            for (int k = 1; k <= keys; k++) {
                String key = "storm-" + run + "-" + k;
                String body = "{\"amount\":%d,\"currency\":\"EUR\",\"description\":\"retry storm %s\"}".formatted(100 * k, key);
                HttpRequest request = HttpRequest.newBuilder(url.resolve("payments"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", authorization)
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", key)
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                        .build();

                List<HttpResponse<String>> responses = new ArrayList<>();
                CountDownLatch go = new CountDownLatch(1);
                List<CompletableFuture<HttpResponse<String>>> storm = new ArrayList<>();
                for (int d = 0; d < duplicates; d++) {
                    storm.add(CompletableFuture.supplyAsync(() -> {
                        await(go);
                        return send(http, request);
                    }, threads));
                }
                go.countDown();
                for (CompletableFuture<HttpResponse<String>> response : storm) {
                    responses.add(response.join());
                }
                for (int r = 0; r < retries; r++) {
                    responses.add(send(http, request));
                }

                Set<String> ids = new LinkedHashSet<>();
                for (HttpResponse<String> response : responses) {
                    sent++;
                    boolean replayed = response.headers().firstValue("Idempotent-Replayed").map("true"::equalsIgnoreCase).orElse(false);
                    if (response.statusCode() == 409) {
                        conflicts++;
                    } else if (response.statusCode() == 201) {
                        matches(ID, response.body()).stream().findFirst().ifPresent(ids::add);
                        if (replayed) {
                            replays++;
                        } else {
                            executed++;
                        }
                    } else {
                        otherStatuses.merge(response.statusCode(), 1, Integer::sum);
                        if (replayed) {
                            replays++;
                        }
                    }
                }
                paymentIdsByKey.put(key, ids);
            }

            List<String> paymentsAfter = matches(ID, get(http, url.resolve("payments"), authorization));
            List<String> chargesAfter = matches(REFERENCE, get(http, url.resolve("gateway/charges"), authorization));
            List<String> newPayments = paymentsAfter.stream().filter(id -> !paymentsBefore.contains(id)).toList();
            int newCharges = chargesAfter.size() - chargesBefore.size();

            System.out.printf("requests sent:         %d%n", sent);
            System.out.printf("handler executions:    %d   (payments created: GET /payments before %d, after %d)%n",
                    newPayments.size(), paymentsBefore.size(), paymentsAfter.size());
            System.out.printf("gateway charges:       %d   (GET /gateway/charges before %d, after %d)%n",
                    newCharges, chargesBefore.size(), chargesAfter.size());
            System.out.printf("first responses (201): %d%n", executed);
            System.out.printf("replays:               %d   (responses with Idempotent-Replayed: true)%n", replays);
            System.out.printf("conflicts (409):       %d%n", conflicts);
            System.out.printf("other statuses:        %s%n", otherStatuses.isEmpty() ? "none" : otherStatuses);

            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, Set<String>> entry : paymentIdsByKey.entrySet()) {
                Set<String> ids = entry.getValue();
                if (ids.size() != 1) {
                    problems.add(entry.getKey() + ": responses named " + ids.size() + " payments " + ids);
                    continue;
                }
                String id = ids.iterator().next();
                long payments = newPayments.stream().filter(id::equals).count();
                long charges = chargesAfter.stream().filter(id::equals).count();
                if (payments != 1 || charges != 1) {
                    problems.add(entry.getKey() + ": payment " + id + " listed " + payments + " times, charged " + charges + " times");
                }
            }
            if (newPayments.size() != keys) {
                problems.add(newPayments.size() + " payments created for " + keys + " keys");
            }
            if (newCharges != keys) {
                problems.add(newCharges + " gateway charges for " + keys + " keys");
            }
            if (problems.isEmpty()) {
                System.out.printf("PASS: exactly one payment and one gateway charge for each of the %d keys%n", keys);
                return 0;
            }
            problems.forEach(problem -> System.out.println("  " + problem));
            System.out.println("FAIL: not exactly one payment and one gateway charge per key");
            return 1;
        } finally {
            threads.shutdownNow();
        }
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("url", "http://localhost:8080");
        options.put("user", "alice:alice-pass");
        options.put("keys", "5");
        options.put("duplicates", "20");
        options.put("retries", "5");
        for (int i = 0; i < args.length; i++) {
            String name = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (name == null || !options.containsKey(name) || i + 1 >= args.length) {
                return null;
            }
            options.put(name, args[++i]);
        }
        for (String number : List.of("keys", "duplicates", "retries")) {
            if (!options.get(number).matches("\\d{1,6}")) {
                return null;
            }
        }
        return options.get("user").contains(":") ? options : null;
    }

    private static String get(HttpClient http, URI uri, String authorization) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization)
                .GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + uri + " answered " + response.statusCode());
        }
        return response.body();
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException("POST " + request.uri() + " failed: " + e, e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> matches(Pattern pattern, String json) {
        List<String> values = new ArrayList<>();
        Matcher matcher = pattern.matcher(json);
        while (matcher.find()) {
            values.add(matcher.group(1));
        }
        return values;
    }
}
