package dev.idempotency.spring.scope;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.IdempotencyScope;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.it.FakeAuthentication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Whose keys are whose, over real HTTP (Tomcat, in-memory store): an application with one scope resolver bean meant
 * for its webhook handler only, a principal-scoped {@code /orders} handler, a {@code GLOBAL} handler for anonymous
 * callers, and callers authenticated by name ({@code X-User}) or by a real {@link JwtAuthenticationToken}
 * ({@code X-Jwt: <issuer> <subject>}).
 */
class ScopeResolutionIT {

    static ConfigurableApplicationContext context;
    static Handlers handlers;
    static IdempotencyStore store;
    static URI base;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() {
        context = new SpringApplicationBuilder(WebhookApp.class)
                .properties(Map.of("server.port", 0, "idempotency.store.type", "memory", "idempotency.purge.enabled", false,
                        "spring.main.banner-mode", "off"))
                .run();
        handlers = context.getBean(Handlers.class);
        store = context.getBean(IdempotencyStore.class);
        base = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    static HttpResponse<String> post(String path, List<String> headers, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.size(); i += 2) {
            request.header(headers.get(i), headers.get(i + 1));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aResolverNamedByTheWebhookHandlerDoesNotBecomeTheScopeOfOtherHandlers() throws Exception {
        String body = "{\"amount\":10}";
        int before = handlers.runs("orders");
        HttpResponse<String> alice = post("/orders", List.of("Idempotency-Key", "K-1", "X-User", "alice"), body);
        HttpResponse<String> bob = post("/orders", List.of("Idempotency-Key", "K-1", "X-User", "bob"), body);

        assertThat(alice.statusCode()).isEqualTo(201);
        assertThat(alice.body()).isEqualTo("order " + (before + 1) + " for alice");
        assertThat(bob.statusCode()).isEqualTo(201);
        assertThat(bob.headers().firstValue("Idempotent-Replayed")).as("bob must not get alice's replay").isEmpty();
        assertThat(bob.body()).isEqualTo("order " + (before + 2) + " for bob");
        assertThat(handlers.runs("orders")).isEqualTo(before + 2);
        assertThat(store.find(IdempotencyKey.of("principal:alice", "K-1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("principal:bob", "K-1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("webhook:none", "K-1"))).isEmpty();
    }

    @Test
    void theWebhookHandlerUsesTheResolverItNames() throws Exception {
        String event = "{\"id\":\"evt_1\"}";
        HttpResponse<String> first = post("/webhooks", List.of("Idempotency-Key", "evt_1", "X-Webhook-Source", "stripe"), event);
        HttpResponse<String> redelivered = post("/webhooks", List.of("Idempotency-Key", "evt_1", "X-Webhook-Source", "stripe"), event);
        HttpResponse<String> otherSource = post("/webhooks", List.of("Idempotency-Key", "evt_1", "X-Webhook-Source", "github"), event);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(redelivered.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(redelivered.body()).isEqualTo(first.body());
        assertThat(otherSource.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(handlers.runs("webhooks")).isEqualTo(2);
        assertThat(store.find(IdempotencyKey.of("webhook:stripe", "evt_1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("webhook:github", "evt_1"))).isPresent();
    }

    @Test
    void anAnonymousCallerOfAPrincipalScopedHandlerIsRefusedWithoutClaimingAnything() throws Exception {
        int before = handlers.runs("orders");
        HttpResponse<String> anonymous = post("/orders", List.of("Idempotency-Key", "anon-1"), "{}");
        HttpResponse<String> again = post("/orders", List.of("Idempotency-Key", "anon-1"), "{}");
        HttpResponse<String> noKey = post("/orders", List.of(), "{}");

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(anonymous.body()).contains("\"type\":\"https://idempotency.dev/problems/principal-required\"")
                .contains("\"status\":401");
        assertThat(again.statusCode()).isEqualTo(401);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
        // Identity before the key: an anonymous caller learns nothing about the key rules of the endpoint.
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(noKey.body()).contains("principal-required");
        assertThat(handlers.runs("orders")).isEqualTo(before);
        assertThat(store.find(IdempotencyKey.of("global", "anon-1"))).isEmpty();
    }

    @Test
    void aHandlerMeantForAnonymousCallersSaysGlobal() throws Exception {
        HttpResponse<String> first = post("/public", List.of("Idempotency-Key", "pub-1"), "{}");
        HttpResponse<String> again = post("/public", List.of("Idempotency-Key", "pub-1"), "{}");

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(handlers.runs("public")).isEqualTo(1);
        assertThat(store.find(IdempotencyKey.of("global", "pub-1"))).isPresent();
    }

    @Test
    void twoIssuersSharingASubjectAreTwoCallers() throws Exception {
        String body = "{\"amount\":7}";
        List<String> fromA = List.of("Idempotency-Key", "jwt-1", "X-Jwt", "https://a.example user-1");
        List<String> fromB = List.of("Idempotency-Key", "jwt-1", "X-Jwt", "https://b.example user-1");
        HttpResponse<String> a = post("/orders", fromA, body);
        HttpResponse<String> b = post("/orders", fromB, body);
        HttpResponse<String> aAgain = post("/orders", fromA, body);

        assertThat(a.statusCode()).isEqualTo(201);
        assertThat(b.statusCode()).isEqualTo(201);
        assertThat(b.headers().firstValue("Idempotent-Replayed")).as("another issuer's user-1 is another caller").isEmpty();
        assertThat(aAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(aAgain.body()).isEqualTo(a.body());
        assertThat(store.find(IdempotencyKey.of("oauth2:https://a.example|user-1", "jwt-1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("oauth2:https://b.example|user-1", "jwt-1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("principal:user-1", "jwt-1"))).isEmpty();
    }

    /** Counts the runs of each handler. */
    static class Handlers {

        private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

        int run(String handler) {
            return runs.computeIfAbsent(handler, k -> new AtomicInteger()).incrementAndGet();
        }

        int runs(String handler) {
            AtomicInteger count = runs.get(handler);
            return count == null ? 0 : count.get();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({FakeAuthentication.class, OrdersController.class, WebhookController.class})
    static class WebhookApp {

        @Bean
        Handlers handlers() {
            return new Handlers();
        }

        /** Meant for the webhook handler only, which names it; it must not touch any other handler's scope. */
        @Bean
        IdempotencyScopeResolver webhookScope() {
            return request -> "webhook:" + (request.getHeader("X-Webhook-Source") == null ? "none" : request.getHeader("X-Webhook-Source"));
        }
    }

    @RestController
    static class OrdersController {

        private final Handlers handlers;

        OrdersController(Handlers handlers) {
            this.handlers = handlers;
        }

        @PostMapping("/orders")
        @Idempotent
        ResponseEntity<String> order(@RequestBody String body, Principal principal) {
            return ResponseEntity.status(HttpStatus.CREATED).body("order " + handlers.run("orders") + " for " + principal.getName());
        }

        @PostMapping("/public")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        ResponseEntity<String> open(@RequestBody String body) {
            return ResponseEntity.status(HttpStatus.CREATED).body("public " + handlers.run("public"));
        }
    }

    @RestController
    static class WebhookController {

        private final Handlers handlers;

        WebhookController(Handlers handlers) {
            this.handlers = handlers;
        }

        @PostMapping("/webhooks")
        @Idempotent(scopeResolver = "webhookScope")
        String webhook(@RequestBody String event) {
            return "event " + handlers.run("webhooks");
        }
    }
}
