package dev.idempotency.spring.reliability;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.it.FakeAuthentication;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application of the HTTP reliability scenarios: Spring Boot with the starter and the JDBC store, one
 * {@code @Idempotent} endpoint that counts its executions per key and sleeps a little, so duplicates overlap it.
 * Several instances run in one JVM (separate contexts, {@code server.port=0}) and share the {@link Executions} and
 * the database schema given to them.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ReliabilityWebApp.WorkController.class)
public class ReliabilityWebApp {

    /** The shared execution log of all instances, and an optional check each execution runs first. */
    public static final class Executions {

        /** One run of the handler. */
        public record Run(String key, String instance, int number) {}

        private final Map<String, AtomicInteger> perKey = new ConcurrentHashMap<>();
        private final ConcurrentLinkedQueue<Run> runs = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<String> completions = new ConcurrentLinkedQueue<>();
        private volatile Consumer<String> checkBeforeRun = key -> {};

        Run record(String key, String instance) {
            checkBeforeRun.accept(key);
            Run run = new Run(key, instance, perKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet());
            runs.add(run);
            return run;
        }

        public int of(String key) {
            AtomicInteger count = perKey.get(key);
            return count == null ? 0 : count.get();
        }

        public long total() {
            return runs.size();
        }

        public List<Run> runs() {
            return List.copyOf(runs);
        }

        /** {@code key completion} of every run the engine finished, as its listener reported them. */
        public List<String> completions() {
            return List.copyOf(completions);
        }

        /** Runs before every execution, e.g. to check that the claim is visible in the database. */
        public void checkBeforeRun(Consumer<String> check) {
            this.checkBeforeRun = check;
        }
    }

    /** Stands in for Spring Security: {@code X-User} becomes the principal, ahead of the idempotency filter. */
    @Bean
    FakeAuthentication fakeAuthentication() {
        return new FakeAuthentication();
    }

    @Bean
    IdempotencyListener completionRecorder(Executions executions) {
        return new IdempotencyListener() {
            @Override
            public void executed(IdempotencyKey key, IdempotencyOutcome.Completion completion, boolean takeover) {
                executions.completions.add(key.key() + " " + completion);
            }
        };
    }

    @RestController
    static class WorkController {

        private final Executions executions;
        private final String instance;
        private final long sleepMillis;
        private final boolean deterministic;

        WorkController(Executions executions, @Value("${reliability.instance}") String instance,
                @Value("${reliability.sleep-ms:20}") long sleepMillis,
                @Value("${reliability.deterministic-body:false}") boolean deterministic) {
            this.executions = executions;
            this.instance = instance;
            this.sleepMillis = sleepMillis;
            this.deterministic = deterministic;
        }

        @PostMapping({"/work", "/work/other"})
        @Idempotent
        ResponseEntity<String> work(@RequestHeader("Idempotency-Key") String key, @RequestBody(required = false) String body,
                HttpServletRequest request) throws InterruptedException {
            Executions.Run run = executions.record(key, instance);
            Thread.sleep(sleepMillis);
            String owner = request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
            if (deterministic) {
                // The same answer for a re-run, as when a run whose result could not be stored is run again.
                return ResponseEntity.status(HttpStatus.CREATED).contentType(MediaType.APPLICATION_JSON)
                        .body("{\"key\":\"" + key.replace("\"", "\\\"") + "\",\"owner\":\"" + owner + "\"}");
            }
            return ResponseEntity.status(HttpStatus.CREATED)
                    .contentType(MediaType.APPLICATION_JSON)
                    .header("Location", "/work/" + UUID.randomUUID())
                    .body("{\"key\":\"" + key.replace("\"", "\\\"") + "\",\"instance\":\"" + instance + "\",\"owner\":\""
                            + owner + "\",\"execution\":" + run.number() + ",\"id\":\"" + UUID.randomUUID() + "\"}");
        }

        /** Not annotated: a key sent here is not looked at. */
        @GetMapping("/things")
        ResponseEntity<String> things(@RequestParam(defaultValue = "") String q) {
            executions.record("GET /things", instance);
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body("{\"things\":[]}");
        }
    }
}
