package dev.idempotency.examples.payments;

import static dev.idempotency.examples.payments.PaymentsApi.ALICE;
import static dev.idempotency.examples.payments.PaymentsApi.BOB;
import static dev.idempotency.examples.payments.PaymentsApi.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.examples.payments.gateway.FakePaymentGateway;
import dev.idempotency.examples.payments.gateway.GatewayProperties;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The payments API over real HTTP against the running app, with the JDBC idempotency store on a real database.
 * Subclasses choose the database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class AbstractPaymentsIT {

    private static final String PROBLEM_JSON = "application/problem+json";

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    GatewayProperties gatewayProperties;

    @Autowired
    FakePaymentGateway gateway;

    @Autowired
    IdempotencyStore idempotencyStore;

    PaymentsApi api;

    @BeforeEach
    void setUp() {
        api = new PaymentsApi(port);
        gatewayProperties.setLatency(Duration.ZERO);
    }

    /**
     * The key's record is gone (an operator deleted it, its TTL passed, or Redis lost it in a restart without
     * persistence) while the payment's rows stay: the retry finds the payment by its key instead of paying twice.
     */
    @Test
    void aRetryWhoseIdempotencyRecordWasLostFindsThePaymentInsteadOfPayingAgain() {
        String key = "lost-record-" + UUID.randomUUID();
        String json = body(4200, "EUR", "record lost");
        HttpResponse<String> first = api.pay(ALICE, key, json);
        assertThat(first.statusCode()).isEqualTo(201);
        IdempotencyKey recordKey = IdempotencyKey.of("principal:alice", key);
        InspectResult inspected = idempotencyStore.inspect(recordKey);
        assertThat(inspected).isInstanceOf(InspectResult.Found.class);
        OwnerToken owner = ((InspectResult.Found) inspected).record().ownerToken();
        assertThat(idempotencyStore.deleteCompleted(recordKey, owner)).isInstanceOf(DeleteResult.Deleted.class);

        HttpResponse<String> retry = api.pay(ALICE, key, json);

        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).as("run again, not replayed").isEmpty();
        assertThat((String) JsonPath.read(retry.body(), "$.id")).isEqualTo(JsonPath.read(first.body(), "$.id"));
        assertThat(jdbc.sql("SELECT COUNT(*) FROM payment WHERE idempotency_key = ?").param(key).query(Integer.class).single())
                .isEqualTo(1);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM gateway_charge c JOIN payment p ON c.reference = p.id"
                + " WHERE p.idempotency_key = ?").param(key).query(Integer.class).single()).isEqualTo(1);
    }

    @Test
    void createsAPaymentAndReplaysTheSameResponseToARetry() {
        String key = newKey();
        String json = body(1250, "EUR", "Coffee beans");

        HttpResponse<String> first = api.pay(ALICE, key, json);
        HttpResponse<String> retry = api.pay(ALICE, key, json);

        assertThat(first.statusCode()).isEqualTo(201);
        String id = JsonPath.read(first.body(), "$.id");
        assertThat(first.headers().firstValue("Location")).hasValue("/payments/" + id);
        assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat((Integer) JsonPath.read(first.body(), "$.amount")).isEqualTo(1250);
        assertThat((String) JsonPath.read(first.body(), "$.currency")).isEqualTo("EUR");
        assertThat((String) JsonPath.read(first.body(), "$.status")).isEqualTo("SUCCEEDED");
        assertThat((String) JsonPath.read(first.body(), "$.createdAt")).isNotBlank();

        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(retry.headers().firstValue("Location")).hasValue("/payments/" + id);

        assertThat(paymentsWithKey("alice", key)).isEqualTo(1);
        assertThat(chargesFor(id)).isEqualTo(1);
        HttpResponse<String> read = api.get(ALICE, "/payments/" + id);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat((String) JsonPath.read(read.body(), "$.id")).isEqualTo(id);
        assertThat(api.get(ALICE, "/payments").body()).contains(id);
    }

    @Test
    void aDuplicateSentWhileTheFirstRequestRunsGets409() throws Exception {
        gatewayProperties.setLatency(Duration.ofSeconds(2));
        String key = newKey();
        String json = body(500, "EUR", "slow gateway");
        int chargesBefore = totalCharges();

        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> api.pay(ALICE, key, json));
        // The gateway records the charge before it sleeps, so once the ledger grows the first request is in flight.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (totalCharges() == chargesBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        HttpResponse<String> duplicate = api.pay(ALICE, key, json);

        assertThat(duplicate.statusCode()).isEqualTo(409);
        assertThat(duplicate.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith(PROBLEM_JSON));
        assertThat(duplicate.headers().firstValue("Retry-After")).isPresent();
        HttpResponse<String> original = first.get();
        assertThat(original.statusCode()).isEqualTo(201);
        assertThat(paymentsWithKey("alice", key)).isEqualTo(1);
    }

    @Test
    void theSameKeyWithADifferentBodyGets422() {
        String key = newKey();
        assertThat(api.pay(ALICE, key, body(100, "EUR", "first")).statusCode()).isEqualTo(201);

        HttpResponse<String> reused = api.pay(ALICE, key, body(999, "EUR", "first"));

        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(reused.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith(PROBLEM_JSON));
        assertThat(paymentsWithKey("alice", key)).isEqualTo(1);
    }

    @Test
    void aRequestWithoutAKeyGets400AndRunsNothing() {
        int before = totalPayments();

        HttpResponse<String> response = api.pay(ALICE, null, body(100, "EUR", null));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith(PROBLEM_JSON));
        assertThat(totalPayments()).isEqualTo(before);
    }

    @Test
    void anInvalidBodyGets400WithTheFailingFields() {
        int before = totalPayments();
        String key = newKey();

        HttpResponse<String> response = api.pay(ALICE, key, "{\"amount\":-5,\"currency\":\"euro\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith(PROBLEM_JSON));
        List<String> fields = JsonPath.read(response.body(), "$.errors[*].field");
        assertThat(fields).containsExactlyInAnyOrder("amount", "currency");
        assertThat(totalPayments()).isEqualTo(before);

        // idempotency.release-statuses includes 400: the failed validation was not stored, the fixed body may reuse the key.
        HttpResponse<String> fixed = api.pay(ALICE, key, body(5, "EUR", null));
        assertThat(fixed.statusCode()).isEqualTo(201);
        assertThat(fixed.headers().firstValue("Idempotent-Replayed")).isEmpty();
    }

    @Test
    void keysAreScopedPerUser() {
        String key = newKey();
        String json = body(700, "USD", "same key, two users");

        HttpResponse<String> alice = api.pay(ALICE, key, json);
        HttpResponse<String> bob = api.pay(BOB, key, json);

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(bob.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
        String aliceId = JsonPath.read(alice.body(), "$.id");
        String bobId = JsonPath.read(bob.body(), "$.id");
        assertThat(bobId).isNotEqualTo(aliceId);
        assertThat(chargesFor(aliceId)).isEqualTo(1);
        assertThat(chargesFor(bobId)).isEqualTo(1);
        assertThat(api.get(BOB, "/payments/" + aliceId).statusCode()).isEqualTo(404);
        assertThat(api.get(BOB, "/payments").body()).doesNotContain(aliceId);
    }

    @Test
    void aGatewayFailureIs502AndARetryResumesAtTheChargeWithoutASecondPayment() {
        String key = newKey();
        String refused = body(300, "EUR", FakePaymentGateway.DOWN_DESCRIPTION);

        HttpResponse<String> down = api.pay(ALICE, key, refused);

        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(down.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith(PROBLEM_JSON));
        assertThat(paymentsWithKey("alice", key)).isEqualTo(1);

        HttpResponse<String> again = api.pay(ALICE, key, refused);
        assertThat(again.statusCode()).as("a 5xx is not stored, so it is not replayed").isEqualTo(502);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(paymentsWithKey("alice", key)).as("the retry resumed from the created payment").isEqualTo(1);
        assertThat(totalChargesWithKeyOf("alice", key)).isZero();

        HttpResponse<String> otherBody = api.pay(ALICE, key, body(300, "EUR", "gateway is back"));
        assertThat(otherBody.statusCode()).as("the key is bound to the payment it created").isEqualTo(422);
    }

    @Test
    void concurrentDuplicatesCreateExactlyOnePaymentAndOneCharge() throws Exception {
        int duplicates = 16;
        String key = newKey();
        String json = body(4200, "EUR", "retry storm");
        CountDownLatch start = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(duplicates);
        try {
            for (int i = 0; i < duplicates; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return api.pay(ALICE, key, json);
                }));
            }
            start.countDown();
            List<HttpResponse<String>> responses = new ArrayList<>();
            for (Future<HttpResponse<String>> future : futures) {
                responses.add(future.get());
            }

            assertThat(responses).extracting(HttpResponse::statusCode).allSatisfy(status -> assertThat(status).isIn(201, 409));
            List<HttpResponse<String>> executed = responses.stream()
                    .filter(response -> response.statusCode() == 201)
                    .filter(response -> response.headers().firstValue("Idempotent-Replayed").isEmpty())
                    .toList();
            assertThat(executed).hasSize(1);
            String id = JsonPath.read(executed.get(0).body(), "$.id");
            assertThat(responses).filteredOn(response -> response.statusCode() == 201)
                    .allSatisfy(response -> assertThat(response.body()).isEqualTo(executed.get(0).body()));
            assertThat(paymentsWithKey("alice", key)).isEqualTo(1);
            assertThat(chargesFor(id)).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The retry-storm demo, run as documented (a single-file program on a fresh JVM) against this app. */
    @Test
    void theRetryStormDemoPasses() throws Exception {
        Path program = Path.of("..", "retry-storm", "RetryStorm.java").toAbsolutePath().normalize();
        assertThat(program).exists();
        Path log = Files.createTempFile("retry-storm", ".log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                program.toString(), "--url", "http://127.0.0.1:" + port, "--user", ALICE,
                "--keys", "3", "--duplicates", "10", "--retries", "3")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean exited = process.waitFor(2, TimeUnit.MINUTES);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        assertThat(exited).as("RetryStorm finished within 2 minutes; output:%n%s", output).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("requests sent:         39", "handler executions:    3", "gateway charges:       3",
                "PASS: exactly one payment and one gateway charge for each of the 3 keys");
    }

    static String newKey() {
        return UUID.randomUUID().toString();
    }

    int paymentsWithKey(String owner, String key) {
        return jdbc.sql("SELECT COUNT(*) FROM payment WHERE owner = ? AND idempotency_key = ?")
                .params(owner, key).query(Integer.class).single();
    }

    int chargesFor(String paymentId) {
        return jdbc.sql("SELECT COUNT(*) FROM gateway_charge WHERE reference = ?")
                .params(paymentId).query(Integer.class).single();
    }

    int totalChargesWithKeyOf(String owner, String key) {
        return jdbc.sql("SELECT COUNT(*) FROM gateway_charge c JOIN payment p ON c.reference = p.id"
                + " WHERE p.owner = ? AND p.idempotency_key = ?").params(owner, key).query(Integer.class).single();
    }

    int totalPayments() {
        return jdbc.sql("SELECT COUNT(*) FROM payment").query(Integer.class).single();
    }

    int totalCharges() {
        return jdbc.sql("SELECT COUNT(*) FROM gateway_charge").query(Integer.class).single();
    }
}
