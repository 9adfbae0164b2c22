package dev.idempotency.spring.web;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import jakarta.servlet.http.HttpServletRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/** Endpoints for the filter tests; counts how often each handler actually ran. */
@RestController
public class TestController {

    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    public volatile CountDownLatch entered = new CountDownLatch(1);
    public volatile CountDownLatch release = new CountDownLatch(1);
    public final CountDownLatch asyncFinish = new CountDownLatch(1);

    public int calls(String endpoint) {
        return calls.computeIfAbsent(endpoint, k -> new AtomicInteger()).get();
    }

    private int count(String endpoint) {
        return calls.computeIfAbsent(endpoint, k -> new AtomicInteger()).incrementAndGet();
    }

    @PostMapping("/orders")
    @Idempotent
    public ResponseEntity<String> createOrder(@RequestBody(required = false) String body) {
        int n = count("orders");
        return ResponseEntity.status(HttpStatus.CREATED)
                .contentType(MediaType.APPLICATION_JSON)
                .header("Location", "/orders/" + n)
                .header("ETag", "\"v" + n + "\"")
                .header("Set-Cookie", "session=secret-" + n)
                .header("X-Not-Allowlisted", "x" + n)
                .body("{\"order\":" + n + ",\"received\":" + (body == null ? "null" : "\"" + body.length() + " chars\"") + "}");
    }

    @PostMapping("/orders/{id}/items")
    @Idempotent
    public String addItem(@PathVariable String id) {
        return "item for " + id + " #" + count("items");
    }

    @PostMapping("/optional")
    @Idempotent(required = false)
    public String optional() {
        return "optional #" + count("optional");
    }

    @PostMapping("/derived")
    @Idempotent
    public String derived(HttpServletRequest request) {
        count("derived");
        IdempotencyKey key = (IdempotencyKey) request.getAttribute(IdempotencyFilter.KEY_ATTRIBUTE);
        return key.scope() + " " + key.key() + " " + key.derive("charge");
    }

    @PostMapping("/plain")
    public String plain() {
        return "plain #" + count("plain");
    }

    @PostMapping("/ttl")
    @Idempotent(ttl = "10m")
    public String ttl() {
        return "ttl #" + count("ttl");
    }

    @PostMapping("/global")
    @Idempotent(scope = IdempotencyScope.GLOBAL)
    public String global() {
        return "global #" + count("global");
    }

    @PostMapping("/tenant")
    @Idempotent(scopeResolver = "tenantScopeResolver")
    public String tenant() {
        return "tenant #" + count("tenant");
    }

    @PostMapping("/slow")
    @Idempotent
    public String slow() throws InterruptedException {
        int n = count("slow");
        entered.countDown();
        if (!release.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the test never released the slow handler");
        }
        return "slow #" + n;
    }

    @PostMapping("/server-error")
    @Idempotent
    public ResponseEntity<String> serverError() {
        return ResponseEntity.status(503).body("try later #" + count("server-error"));
    }

    @PostMapping("/client-error")
    @Idempotent
    public ResponseEntity<String> clientError() {
        return ResponseEntity.status(400).body("{\"error\":\"bad #" + count("client-error") + "\"}");
    }

    @PostMapping("/throws")
    @Idempotent
    public String throwsException() {
        count("throws");
        throw new IllegalStateException("boom");
    }

    @PostMapping("/large")
    @Idempotent
    public String large() {
        int n = count("large");
        return "L".repeat(4096) + n;
    }

    @PostMapping("/stream")
    @Idempotent
    public StreamingResponseBody stream() {
        int n = count("stream");
        return out -> out.write(("streamed #" + n).getBytes(StandardCharsets.UTF_8));
    }

    @org.springframework.web.bind.annotation.CrossOrigin(origins = "https://shop.example", exposedHeaders = "Idempotent-Replayed")
    @PostMapping("/cors-order")
    @Idempotent
    public ResponseEntity<String> corsOrder(@RequestBody(required = false) String body) {
        return ResponseEntity.status(HttpStatus.CREATED).body("order #" + count("cors-order"));
    }

    @PostMapping("/async")
    @Idempotent
    public java.util.concurrent.Callable<String> async() {
        return () -> {
            int n = count("async");
            asyncFinish.await(10, TimeUnit.SECONDS);
            return "async #" + n;
        };
    }

    @PostMapping("/sse")
    @Idempotent
    public SseEmitter sse() throws IOException {
        int n = count("sse");
        SseEmitter emitter = new SseEmitter();
        emitter.send("event #" + n);
        emitter.complete();
        return emitter;
    }

    @PostMapping("/status-exception")
    @Idempotent
    public String statusException() {
        count("status-exception");
        throw new org.springframework.web.server.ResponseStatusException(HttpStatus.CONFLICT, "already shipped");
    }

    @PostMapping("/upload")
    @Idempotent
    public String upload(HttpServletRequest request) throws Exception {
        jakarta.servlet.http.Part part = request.getPart("file");
        return part.getSubmittedFileName() + " " + part.getSize() + " bytes #" + count("upload");
    }

    @PostMapping("/form")
    @Idempotent
    public String form(@RequestParam Map<String, String> params) {
        return new TreeMap<>(params) + " #" + count("form");
    }

    @PostMapping("/reader")
    @Idempotent
    public String reader(HttpServletRequest request) throws IOException {
        StringBuilder body = new StringBuilder();
        try (BufferedReader reader = request.getReader()) {
            reader.lines().forEach(body::append);
        }
        return "read [" + body + "] #" + count("reader");
    }

    @PostMapping("/whoami")
    @Idempotent
    public String whoami(HttpServletRequest request) {
        return "hello " + (request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName())
                + " #" + count("whoami");
    }
}
