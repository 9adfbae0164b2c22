package dev.idempotency.spring.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * What the fingerprint covers besides the method, path and body, over real HTTP (Tomcat on a random port): the
 * media type, the handler method that serves the request, and the headers named in
 * {@code idempotency.fingerprint.headers} or {@code @Idempotent(fingerprintHeaders)}. A key reused with any of them
 * changed is 422 {@code key-reused}, never a replay of another request's response; and a JSON body nested beyond
 * {@code idempotency.fingerprint.max-json-depth} is 400 {@code invalid-json} with nothing claimed.
 */
@SpringBootTest(classes = FingerprintInputsIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"idempotency.store.type=memory", "idempotency.fingerprint.headers=X-Account-Id"})
class FingerprintInputsIT {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Handlers.class)
    static class App {}

    /** Handlers that count their runs per key; every one is global on purpose, so no principal is needed. */
    @RestController
    static class Handlers {

        final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

        private ResponseEntity<String> run(String handler, String key, String body) {
            int run = runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            return ResponseEntity.status(HttpStatus.CREATED)
                    .body("{\"handler\":\"" + handler + "\",\"run\":" + run + ",\"request\":" + body + "}");
        }

        /** One handler for a full document and a merge patch: only the media type tells them apart. */
        @PatchMapping(path = "/documents/{id}", consumes = {"application/json", "application/merge-patch+json"})
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> patch(@PathVariable String id, @RequestHeader("Idempotency-Key") String key,
                @RequestBody String body) {
            return run("patch", key, body);
        }

        /** Two handlers on one pattern, one media type, selected by a header that is not fingerprinted. */
        @PostMapping(path = "/orders", headers = "X-Api-Version=1")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> createV1(@RequestHeader("Idempotency-Key") String key, @RequestBody String body) {
            return run("v1", key, body);
        }

        @PostMapping(path = "/orders", headers = "X-Api-Version=2")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> createV2(@RequestHeader("Idempotency-Key") String key, @RequestBody String body) {
            return run("v2", key, body);
        }

        /** Two handlers on one pattern selected by consumes. */
        @PostMapping(path = "/imports", consumes = "application/json")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> importJson(@RequestHeader("Idempotency-Key") String key, @RequestBody String body) {
            return run("json", key, body);
        }

        @PostMapping(path = "/imports", consumes = "application/vnd.import+json")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> importVendorJson(@RequestHeader("Idempotency-Key") String key, @RequestBody String body) {
            return run("vendor", key, body);
        }

        /** Acts on the account named by X-Account-Id, which idempotency.fingerprint.headers names. */
        @PostMapping("/transfers")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> transfer(@RequestHeader("Idempotency-Key") String key, @RequestBody String body) {
            return run("transfer", key, body);
        }

        @PostMapping("/tenant-transfers")
        @Idempotent(scope = IdempotencyScope.GLOBAL, fingerprintHeaders = "X-Tenant")
        ResponseEntity<String> tenantTransfer(@RequestHeader("Idempotency-Key") String key, @RequestBody String body) {
            return run("tenant-transfer", key, body);
        }
    }

    @Autowired
    Environment environment;

    @Autowired
    Handlers handlers;

    @Autowired
    IdempotencyStore store;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> send(String method, String path, String key, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path))
                .timeout(Duration.ofSeconds(30))
                .header("Idempotency-Key", key)
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private int runs(String key) {
        AtomicInteger runs = handlers.runs.get(key);
        return runs == null ? 0 : runs.get();
    }

    private static void assertKeyReused(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.body()).contains("https://idempotency.dev/problems/key-reused");
        assertThat(response.headers().firstValue("Idempotent-Replayed")).isEmpty();
    }

    private static void assertReplayOf(HttpResponse<String> replay, HttpResponse<String> original) {
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(replay.body()).isEqualTo(original.body());
    }

    @Test
    void aMergePatchAndAJsonDocumentWithTheSameKeyAndBytesAreDifferentRequests() throws Exception {
        String body = "{\"title\":null}";
        HttpResponse<String> patch = send("PATCH", "/documents/7", "doc-1", body, "Content-Type", "application/merge-patch+json");
        HttpResponse<String> full = send("PATCH", "/documents/7", "doc-1", body, "Content-Type", "application/json");
        HttpResponse<String> retry = send("PATCH", "/documents/7", "doc-1", body, "Content-Type", "application/merge-patch+json; charset=UTF-8");

        assertThat(patch.statusCode()).isEqualTo(201);
        assertKeyReused(full);
        assertReplayOf(retry, patch);
        assertThat(runs("doc-1")).isEqualTo(1);
    }

    @Test
    void twoHandlersOnOnePatternSelectedByAHeaderNeverShareAKey() throws Exception {
        String body = "{\"item\":\"book\"}";
        HttpResponse<String> v1 = send("POST", "/orders", "order-1", body, "Content-Type", "application/json", "X-Api-Version", "1");
        HttpResponse<String> v2 = send("POST", "/orders", "order-1", body, "Content-Type", "application/json", "X-Api-Version", "2");
        HttpResponse<String> retry = send("POST", "/orders", "order-1", body, "Content-Type", "application/json", "X-Api-Version", "1");

        assertThat(v1.statusCode()).isEqualTo(201);
        assertThat(v1.body()).contains("\"handler\":\"v1\"");
        assertKeyReused(v2);
        assertReplayOf(retry, v1);
        assertThat(runs("order-1")).isEqualTo(1);
    }

    @Test
    void twoHandlersOnOnePatternSelectedByConsumesNeverShareAKey() throws Exception {
        String body = "{\"rows\":[]}";
        HttpResponse<String> json = send("POST", "/imports", "import-1", body, "Content-Type", "application/json");
        HttpResponse<String> vendor = send("POST", "/imports", "import-1", body, "Content-Type", "application/vnd.import+json");

        assertThat(json.statusCode()).isEqualTo(201);
        assertKeyReused(vendor);
        assertThat(runs("import-1")).isEqualTo(1);
    }

    @Test
    void aConfiguredHeaderWithAnotherValueIsAnotherRequest() throws Exception {
        String body = "{\"amount\":10}";
        HttpResponse<String> first = send("POST", "/transfers", "transfer-1", body, "Content-Type", "application/json", "X-Account-Id", "acc-1");
        HttpResponse<String> otherAccount = send("POST", "/transfers", "transfer-1", body, "Content-Type", "application/json", "X-Account-Id", "acc-2");
        HttpResponse<String> noAccount = send("POST", "/transfers", "transfer-1", body, "Content-Type", "application/json");
        HttpResponse<String> retry = send("POST", "/transfers", "transfer-1", body, "Content-Type", "application/json", "x-account-id", "acc-1");

        assertThat(first.statusCode()).isEqualTo(201);
        assertKeyReused(otherAccount);
        assertKeyReused(noAccount);
        assertReplayOf(retry, first);
        assertThat(runs("transfer-1")).isEqualTo(1);
    }

    @Test
    void aHandlersOwnFingerprintHeaderCountsBesideTheConfiguredOnes() throws Exception {
        String body = "{\"amount\":10}";
        HttpResponse<String> first = send("POST", "/tenant-transfers", "tenant-1", body, "Content-Type", "application/json",
                "X-Tenant", "t1", "X-Account-Id", "acc-1");
        HttpResponse<String> otherTenant = send("POST", "/tenant-transfers", "tenant-1", body, "Content-Type", "application/json",
                "X-Tenant", "t2", "X-Account-Id", "acc-1");
        HttpResponse<String> otherAccount = send("POST", "/tenant-transfers", "tenant-1", body, "Content-Type", "application/json",
                "X-Tenant", "t1", "X-Account-Id", "acc-2");
        HttpResponse<String> retry = send("POST", "/tenant-transfers", "tenant-1", body, "Content-Type", "application/json",
                "X-Tenant", "t1", "X-Account-Id", "acc-1");

        assertThat(first.statusCode()).isEqualTo(201);
        assertKeyReused(otherTenant);
        assertKeyReused(otherAccount);
        assertReplayOf(retry, first);
        assertThat(runs("tenant-1")).isEqualTo(1);
    }

    @Test
    void jsonNestedBeyondTheLimitIsInvalidJsonAndClaimsNothing() throws Exception {
        String atTheLimit = "{\"a\":".repeat(63) + "[1]" + "}".repeat(63);
        String beyond = "[" + atTheLimit + "]";

        HttpResponse<String> rejected = send("POST", "/transfers", "deep-1", beyond, "Content-Type", "application/json");

        assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(400);
        assertThat(rejected.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(rejected.body()).contains("https://idempotency.dev/problems/invalid-json").contains("\"status\":400")
                .contains("nested deeper than 64");
        assertThat(runs("deep-1")).isZero();
        assertThat(store.find(IdempotencyKey.of("global", "deep-1"))).isEmpty();

        HttpResponse<String> accepted = send("POST", "/transfers", "deep-1", atTheLimit, "Content-Type", "application/json");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(201);
        assertThat(runs("deep-1")).isEqualTo(1);
    }
}
