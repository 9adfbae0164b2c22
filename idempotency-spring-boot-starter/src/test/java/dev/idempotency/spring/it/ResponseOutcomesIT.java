package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.Idempotent;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.context.request.async.WebAsyncTask;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * Every way a handler can answer, over real HTTP (Tomcat) with the JDBC store on a real PostgreSQL: work that ran is
 * never run again by a retry, whether its response is replayed, kept as completed but not replayable, or (5xx,
 * exceptions before anything was sent) released.
 */
@SpringBootTest(classes = ResponseOutcomesIT.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"idempotency.jdbc.initialize-schema=always", "idempotency.purge.enabled=false",
                "idempotency.max-response-size=64KB", "idempotency.async.work-limit=5s", "idempotency.lease=3s"})
class ResponseOutcomesIT {

    private static final PostgresTestDatabase DATABASE = PostgresTestDatabase.createSchema();
    private static final String PROBLEM_TYPE = "https://idempotency.dev/problems/response-not-replayable";

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DATABASE::url);
        registry.add("spring.datasource.username", () -> DATABASE.user);
        registry.add("spring.datasource.password", () -> DATABASE.password);
    }

    @AfterAll
    static void dropSchema() {
        DATABASE.dropSchema();
    }

    @Autowired
    Environment environment;

    @Autowired
    Handlers handlers;

    @Autowired
    IdempotencyStore store;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    // ---- responses that cannot be stored: the work ran once, the key is kept ----

    @Test
    void aResponseOverTheLimitRunsOnceAndRetriesGetResponseNotReplayable() throws Exception {
        HttpResponse<byte[]> first = post("/large", "large-1");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(first.body()).hasSize(2 * 1024 * 1024 + 1);
        for (int retry = 0; retry < 3; retry++) {
            HttpResponse<byte[]> again = post("/large", "large-1");
            assertNotReplayable(again, 201, "TOO_LARGE");
            assertThat(again.headers().firstValue("Location")).as("stored headers still tell where the resource is")
                    .hasValue("/large/1");
        }
        assertThat(handlers.calls("large")).isEqualTo(1);
        assertThat(record("large-1").status()).isEqualTo(IdempotencyStatus.COMPLETED);
    }

    @Test
    void anErrorSentWithSendErrorRunsOnce() throws Exception {
        HttpResponse<byte[]> first = post("/send-error", "send-error-1");
        assertThat(first.statusCode()).isEqualTo(409);
        assertNotReplayable(post("/send-error", "send-error-1"), 409, "ERROR_SENT");
        assertThat(handlers.calls("send-error")).isEqualTo(1);
    }

    @Test
    void aServerErrorSentWithSendErrorIsStillReleased() throws Exception {
        assertThat(post("/send-server-error", "send-503-1").statusCode()).isEqualTo(503);
        assertThat(post("/send-server-error", "send-503-1").statusCode()).isEqualTo(503);
        assertThat(handlers.calls("send-server-error")).as("5xx releases the key, so the retry runs").isEqualTo(2);
    }

    @Test
    void aStreamingBodyRunsOnce() throws Exception {
        HttpResponse<byte[]> first = post("/stream", "stream-1");
        assertThat(text(first)).isEqualTo("streamed #1");
        awaitCompleted("stream-1");
        assertNotReplayable(post("/stream", "stream-1"), 200, "STREAMED");
        assertThat(handlers.calls("stream")).isEqualTo(1);
    }

    @Test
    void serverSentEventsRunOnce() throws Exception {
        HttpResponse<byte[]> first = post("/sse", "sse-1");
        assertThat(text(first)).contains("data:event #1");
        awaitCompleted("sse-1");
        assertNotReplayable(post("/sse", "sse-1"), 200, "STREAMED");
        assertThat(handlers.calls("sse")).isEqualTo(1);
    }

    @Test
    void anExceptionAfterTheResponseWasCommittedRunsOnce() throws Exception {
        try {
            post("/fails-after-commit", "commit-1");
        } catch (IOException expected) {
            // The container aborts a committed response whose handler failed; the client may see a broken stream.
        }
        awaitCompleted("commit-1");
        assertNotReplayable(post("/fails-after-commit", "commit-1"), 200, "FAILED_AFTER_COMMIT");
        assertThat(handlers.calls("fails-after-commit")).isEqualTo(1);
    }

    @Test
    void anExceptionBeforeAnythingWasSentReleasesTheKey() throws Exception {
        assertThat(post("/fails-before-commit", "before-1").statusCode()).isEqualTo(500);
        assertThat(post("/fails-before-commit", "before-1").statusCode()).isEqualTo(500);
        assertThat(handlers.calls("fails-before-commit")).isEqualTo(2);
    }

    // ---- asynchronous results are stored and replayed ----

    @Test
    void callableResultsAreStoredAndReplayed() throws Exception {
        assertStoredAndReplayed("/callable", "callable-1", "callable #1");
    }

    @Test
    void deferredResultsAreStoredAndReplayed() throws Exception {
        assertStoredAndReplayed("/deferred", "deferred-1", "deferred #1");
    }

    @Test
    void completableFutureResultsAreStoredAndReplayed() throws Exception {
        assertStoredAndReplayed("/completable", "completable-1", "completable #1");
    }

    @Test
    void webAsyncTaskResultsAreStoredAndReplayed() throws Exception {
        assertStoredAndReplayed("/web-async-task", "task-1", "task #1");
    }

    // ---- an asynchronous timeout does not end the claim while the work runs ----

    @Test
    void aCallableThatOutlivesItsTimeoutHoldsTheKeyUntilItEnds() throws Exception {
        CountDownLatch finish = new CountDownLatch(1);
        handlers.slowCallableFinish = finish;
        assertThat(post("/slow-callable", "slow-callable-1").statusCode()).as("the async timeout's answer").isEqualTo(503);
        HttpResponse<byte[]> whileRunning = post("/slow-callable", "slow-callable-1");
        assertThat(whileRunning.statusCode()).as("a retry while the work still runs").isEqualTo(409);
        assertThat(handlers.calls("slow-callable")).isEqualTo(1);
        // Longer than the lease: the heartbeat keeps the claim while the work runs.
        Thread.sleep(3500);
        assertThat(post("/slow-callable", "slow-callable-1").statusCode()).isEqualTo(409);
        finish.countDown();
        awaitCompleted("slow-callable-1");
        assertNotReplayable(post("/slow-callable", "slow-callable-1"), 503, "WORK_OUTLIVED_REQUEST");
        assertThat(handlers.calls("slow-callable")).isEqualTo(1);
    }

    @Test
    void aCallableThatFailsAfterItsTimeoutReleasesTheKey() throws Exception {
        CountDownLatch finish = new CountDownLatch(1);
        handlers.failingCallableFinish = finish;
        assertThat(post("/failing-callable", "failing-callable-1").statusCode()).isEqualTo(503);
        assertThat(post("/failing-callable", "failing-callable-1").statusCode()).isEqualTo(409);
        finish.countDown();
        awaitGone("failing-callable-1");
        assertThat(handlers.calls("failing-callable")).isEqualTo(1);
    }

    @Test
    void aDeferredResultThatOutlivesItsTimeoutHoldsTheKeyUntilTheWorkLimitThenIsNotReplayable() throws Exception {
        assertThat(post("/slow-deferred", "slow-deferred-1").statusCode()).isEqualTo(503);
        assertThat(post("/slow-deferred", "slow-deferred-1").statusCode()).as("retry while the work may still run").isEqualTo(409);
        awaitCompleted("slow-deferred-1");
        assertNotReplayable(post("/slow-deferred", "slow-deferred-1"), 503, "OUTCOME_UNKNOWN");
        assertThat(handlers.calls("slow-deferred")).isEqualTo(1);
    }

    @Test
    void aDeferredResultWithoutATimeoutHoldsTheKeyUntilItsResultAndIsThenReplayed() throws Exception {
        CompletableFuture<HttpResponse<byte[]>> first = CompletableFuture.supplyAsync(() -> postUnchecked("/endless-deferred", "endless-1"));
        awaitCalls("endless-deferred", 1);
        assertThat(post("/endless-deferred", "endless-1").statusCode()).as("a retry while the work runs").isEqualTo(409);
        handlers.endlessDeferred.setResult(Handlers.created("/endless-deferred/1", "endless #1"));
        assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> replay = post("/endless-deferred", "endless-1");
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(handlers.calls("endless-deferred")).isEqualTo(1);
    }

    @Test
    void aDeferredResultAnsweredLaterThanTheWorkLimitIsStillStoredAndReplayed() throws Exception {
        CompletableFuture<HttpResponse<byte[]>> first = CompletableFuture.supplyAsync(() -> postUnchecked("/patient-deferred", "patient-1"));
        awaitCalls("patient-deferred", 1);
        Thread.sleep(6_000); // longer than idempotency.async.work-limit (5 s): the request is still open
        handlers.patientDeferred.setResult(Handlers.created("/patient-deferred/1", "patient #1"));
        assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> replay = post("/patient-deferred", "patient-1");
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(text(replay)).isEqualTo("patient #1");
    }

    @Test
    void aCallableInterruptedByItsTimeoutKeepsTheKeyRatherThanRunningAgain() throws Exception {
        // The timeout's 503, or a 500 when the interrupted work's exception reached the dispatch first.
        int first = post("/interruptible", "interruptible-1").statusCode();
        assertThat(first).isIn(500, 503);
        HttpResponse<byte[]> retry = post("/interruptible", "interruptible-1");
        assertThat(retry.statusCode()).as("a retry after Spring interrupted the work").isIn(409, 410);
        awaitCompleted("interruptible-1");
        assertNotReplayable(post("/interruptible", "interruptible-1"), first, "WORK_OUTLIVED_REQUEST");
        assertThat(handlers.calls("interruptible")).isEqualTo(1);
    }

    @Test
    void oneCallableInstanceSharedByTwoRequestsReportsEachRequestsOwnWorkEnd() throws Exception {
        handlers.sharedFinish = new CountDownLatch(1);
        assertThat(post("/shared-callable", "shared-1").statusCode()).isEqualTo(503);
        assertThat(post("/shared-callable", "shared-2").statusCode()).isEqualTo(503);
        handlers.sharedFinish.countDown();
        awaitCompleted("shared-1");
        awaitCompleted("shared-2");
        // Each key is settled by its own work's end, not by the work limit (which would say OUTCOME_UNKNOWN).
        assertNotReplayable(post("/shared-callable", "shared-1"), 503, "WORK_OUTLIVED_REQUEST");
        assertNotReplayable(post("/shared-callable", "shared-2"), 503, "WORK_OUTLIVED_REQUEST");
        assertThat(handlers.calls("shared-callable")).isEqualTo(2);
    }

    @Test
    void aCallableThatNeverStartedBeforeItsTimeoutReleasesTheKey() throws Exception {
        CountDownLatch blocker = new CountDownLatch(1);
        handlers.singleThread.execute(() -> Handlers.awaitUninterruptibly(blocker)); // the executor is saturated
        try {
            assertThat(post("/queued", "queued-1").statusCode()).as("timed out while queued").isEqualTo(503);
            awaitGone("queued-1");
        } finally {
            blocker.countDown();
        }
        HttpResponse<byte[]> retry = post("/queued", "queued-1");
        assertThat(retry.statusCode()).as("the retry runs: the first never did").isEqualTo(200);
        assertThat(handlers.calls("queued")).as("the cancelled task never ran").isEqualTo(1);
    }

    private void awaitCalls(String name, int calls) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (handlers.calls(name) < calls && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(handlers.calls(name)).as("calls of " + name).isGreaterThanOrEqualTo(calls);
    }

    private HttpResponse<byte[]> postUnchecked(String path, String key) {
        try {
            return post(path, key);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void assertStoredAndReplayed(String path, String key, String body) throws Exception {
        HttpResponse<byte[]> first = post(path, key);
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(text(first)).isEqualTo(body);
        HttpResponse<byte[]> replay = post(path, key);
        assertThat(replay.statusCode()).isEqualTo(201);
        assertThat(text(replay)).isEqualTo(body);
        assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(replay.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
        assertThat(handlers.calls(path.substring(1))).isEqualTo(1);
    }

    private static void assertNotReplayable(HttpResponse<byte[]> response, int originalStatus, String reason) {
        assertThat(response.statusCode()).isEqualTo(410);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        String body = text(response);
        assertThat(body).contains("\"type\":\"" + PROBLEM_TYPE + "\"")
                .contains("\"originalStatus\":" + originalStatus)
                .contains("\"reason\":\"" + reason + "\"");
    }

    private IdempotencyRecord record(String key) {
        return store.find(IdempotencyKey.of("principal:alice", key)).orElseThrow();
    }

    private void awaitCompleted(String key) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        Optional<IdempotencyRecord> record;
        do {
            record = store.find(IdempotencyKey.of("principal:alice", key));
            if (record.isPresent() && record.get().status() == IdempotencyStatus.COMPLETED) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertThat(record).as("record of " + key).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(IdempotencyStatus.COMPLETED));
    }

    private void awaitGone(String key) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (store.find(IdempotencyKey.of("principal:alice", key)).isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(store.find(IdempotencyKey.of("principal:alice", key))).as("record of " + key).isEmpty();
    }

    private HttpResponse<byte[]> post(String path, String key) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + environment.getProperty("local.server.port") + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .header("X-User", "alice")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Handlers.class)
    static class App {

        /** Stands in for Spring Security: {@code X-User} becomes the principal, ahead of the idempotency filter. */
        @Bean
        FakeAuthentication fakeAuthentication() {
            return new FakeAuthentication();
        }
    }

    @RestController
    static class Handlers {

        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        volatile CountDownLatch slowCallableFinish = new CountDownLatch(0);
        volatile CountDownLatch failingCallableFinish = new CountDownLatch(0);

        int calls(String name) {
            return calls.computeIfAbsent(name, n -> new AtomicInteger()).get();
        }

        private int count(String name) {
            return calls.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        }

        @PostMapping("/large")
        @Idempotent
        ResponseEntity<String> large() {
            int n = count("large");
            return ResponseEntity.status(HttpStatus.CREATED).header("Location", "/large/" + n).body("L".repeat(2 * 1024 * 1024) + n);
        }

        @PostMapping("/send-error")
        @Idempotent
        String sendError() {
            count("send-error");
            throw new ResponseStatusException(HttpStatus.CONFLICT, "already shipped");
        }

        @PostMapping("/send-server-error")
        @Idempotent
        void sendServerError(HttpServletResponse response) throws IOException {
            count("send-server-error");
            response.sendError(503, "try later");
        }

        @PostMapping("/stream")
        @Idempotent
        StreamingResponseBody stream() {
            int n = count("stream");
            return out -> out.write(("streamed #" + n).getBytes(StandardCharsets.UTF_8));
        }

        @PostMapping("/sse")
        @Idempotent
        SseEmitter sse() throws IOException {
            int n = count("sse");
            SseEmitter emitter = new SseEmitter();
            emitter.send("event #" + n);
            emitter.complete();
            return emitter;
        }

        @PostMapping("/fails-after-commit")
        @Idempotent
        void failsAfterCommit(HttpServletResponse response) throws IOException {
            count("fails-after-commit");
            OutputStream out = response.getOutputStream();
            out.write(new byte[128 * 1024]);
            out.flush();
            throw new IllegalStateException("failed half way through the body");
        }

        @PostMapping("/fails-before-commit")
        @Idempotent
        String failsBeforeCommit() {
            count("fails-before-commit");
            throw new IllegalStateException("failed before writing anything");
        }

        @PostMapping("/callable")
        @Idempotent
        Callable<ResponseEntity<String>> callable() {
            return () -> created("/callable/1", "callable #" + count("callable"));
        }

        @PostMapping("/deferred")
        @Idempotent
        DeferredResult<ResponseEntity<String>> deferred() {
            DeferredResult<ResponseEntity<String>> result = new DeferredResult<>(10_000L);
            CompletableFuture.runAsync(() -> result.setResult(created("/deferred/1", "deferred #" + count("deferred"))));
            return result;
        }

        @PostMapping("/completable")
        @Idempotent
        CompletableFuture<ResponseEntity<String>> completable() {
            return CompletableFuture.supplyAsync(() -> created("/completable/1", "completable #" + count("completable")));
        }

        @PostMapping("/web-async-task")
        @Idempotent
        WebAsyncTask<ResponseEntity<String>> webAsyncTask() {
            return new WebAsyncTask<>(10_000L, () -> created("/web-async-task/1", "task #" + count("web-async-task")));
        }

        volatile DeferredResult<ResponseEntity<String>> endlessDeferred;
        volatile DeferredResult<ResponseEntity<String>> patientDeferred;
        volatile CountDownLatch sharedFinish = new CountDownLatch(0);
        /** One Callable instance for every request, as a field or a non-capturing lambda is. */
        private final Callable<String> sharedCallable = () -> {
            count("shared-callable");
            awaitUninterruptibly(sharedFinish);
            return "shared";
        };

        @PostMapping("/endless-deferred")
        @Idempotent
        DeferredResult<ResponseEntity<String>> endlessDeferred() {
            count("endless-deferred");
            endlessDeferred = new DeferredResult<>(Long.MAX_VALUE);
            return endlessDeferred;
        }

        @PostMapping("/patient-deferred")
        @Idempotent
        DeferredResult<ResponseEntity<String>> patientDeferred() {
            count("patient-deferred");
            patientDeferred = new DeferredResult<>(60_000L);
            return patientDeferred;
        }

        /** An executor of one thread, which a test can saturate. */
        final org.springframework.core.task.AsyncTaskExecutor singleThread =
                new org.springframework.core.task.support.TaskExecutorAdapter(java.util.concurrent.Executors.newSingleThreadExecutor());

        @PostMapping("/queued")
        @Idempotent
        WebAsyncTask<String> queued() {
            return new WebAsyncTask<>(300L, singleThread, () -> "ran #" + count("queued"));
        }

        @PostMapping("/interruptible")
        @Idempotent
        WebAsyncTask<String> interruptible() {
            return new WebAsyncTask<>(300L, () -> {
                count("interruptible");
                Thread.sleep(2_000); // Spring interrupts it at the timeout: it throws InterruptedException
                return "finished";
            });
        }

        @PostMapping("/shared-callable")
        @Idempotent
        WebAsyncTask<String> sharedCallable() {
            return new WebAsyncTask<>(300L, sharedCallable);
        }

        @PostMapping("/slow-callable")
        @Idempotent
        WebAsyncTask<String> slowCallable() {
            CountDownLatch finish = slowCallableFinish;
            return new WebAsyncTask<>(300L, () -> {
                count("slow-callable");
                awaitUninterruptibly(finish);
                return "finished late";
            });
        }

        @PostMapping("/failing-callable")
        @Idempotent
        WebAsyncTask<String> failingCallable() {
            CountDownLatch finish = failingCallableFinish;
            return new WebAsyncTask<>(300L, () -> {
                count("failing-callable");
                awaitUninterruptibly(finish);
                throw new IllegalStateException("failed after the timeout");
            });
        }

        @PostMapping("/slow-deferred")
        @Idempotent
        DeferredResult<String> slowDeferred() {
            count("slow-deferred");
            return new DeferredResult<>(300L); // never completed: its work outlives the request
        }

        static ResponseEntity<String> created(String location, String body) {
            return ResponseEntity.status(HttpStatus.CREATED).header("Location", location).body(body);
        }

        /** Ignores the interrupt Spring sends a timed-out task: this work goes on, as real work often does. */
        static void awaitUninterruptibly(CountDownLatch latch) {
            boolean interrupted = false;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                try {
                    if (latch.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
