package dev.idempotency.spring.it;

import dev.idempotency.spring.Idempotent;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** A small application served by Tomcat for the integration tests. */
@SpringBootApplication
public class ItApplication {

    /** Stands in for Spring Security: {@code X-User} becomes the principal, ahead of the idempotency filter. */
    @Bean
    FakeAuthentication fakeAuthentication() {
        return new FakeAuthentication();
    }

    @RestController
    static class PaymentsController {

        final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

        int executions(String key) {
            return executions.computeIfAbsent(key, k -> new AtomicInteger()).get();
        }

        @PostMapping("/payments")
        @Idempotent
        ResponseEntity<String> pay(@RequestHeader("Idempotency-Key") String key, @RequestBody String body,
                HttpServletRequest request) throws InterruptedException {
            int n = executions.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            // Keeps the claim held a little, so concurrent duplicates overlap with it.
            Thread.sleep(100);
            String id = UUID.randomUUID().toString();
            String owner = request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
            return ResponseEntity.status(HttpStatus.CREATED)
                    .contentType(MediaType.APPLICATION_JSON)
                    .header("Location", "/payments/" + id)
                    .header("ETag", "\"" + id + "\"")
                    .header("Set-Cookie", "session=" + id)
                    .body("{\"id\":\"" + id + "\",\"owner\":\"" + owner + "\",\"execution\":" + n + ",\"request\":" + body + "}");
        }

        @PostMapping("/flaky")
        @Idempotent
        ResponseEntity<String> flaky(@RequestHeader("Idempotency-Key") String key) {
            int n = executions.computeIfAbsent("flaky:" + key, k -> new AtomicInteger()).incrementAndGet();
            return ResponseEntity.status(HttpStatus.BAD_GATEWAY).body("upstream failed, attempt " + n);
        }
    }
}
