package dev.idempotency.spring.scope;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Keys per tenant and caller, over real HTTP, with the resolver that docs/configuration.md shows
 * ({@link TenantScopeConfiguration}) as the application's default.
 */
class TenantScopeIT {

    static ConfigurableApplicationContext context;
    static IdempotencyStore store;
    static URI base;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() {
        context = new SpringApplicationBuilder(TenantApp.class)
                .properties(Map.of("server.port", 0, "idempotency.store.type", "memory", "idempotency.purge.enabled", false,
                        "spring.main.banner-mode", "off"))
                .run();
        store = context.getBean(IdempotencyStore.class);
        base = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port"));
    }

    @AfterAll
    static void stop() {
        context.close();
    }

    static HttpResponse<String> invoice(String user, String tenant) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/invoices")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Idempotency-Key", "inv-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"amount\":3}"));
        if (user != null) {
            request.header("X-User", user);
        }
        if (tenant != null) {
            request.header("X-Tenant-Id", tenant);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void oneKeyIsOneRecordPerTenantAndCaller() throws Exception {
        HttpResponse<String> aliceAtAcme = invoice("alice", "acme");
        HttpResponse<String> aliceAtGlobex = invoice("alice", "globex");
        HttpResponse<String> bobAtAcme = invoice("bob", "acme");
        HttpResponse<String> aliceAtAcmeAgain = invoice("alice", "acme");

        assertThat(List.of(aliceAtAcme, aliceAtGlobex, bobAtAcme)).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(201);
            assertThat(response.headers().firstValue("Idempotent-Replayed")).isEmpty();
        });
        assertThat(aliceAtAcme.body()).isEqualTo("invoice 1 of acme for alice");
        assertThat(aliceAtGlobex.body()).isEqualTo("invoice 2 of globex for alice");
        assertThat(bobAtAcme.body()).isEqualTo("invoice 3 of acme for bob");
        assertThat(aliceAtAcmeAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(aliceAtAcmeAgain.body()).isEqualTo(aliceAtAcme.body());
        assertThat(store.find(IdempotencyKey.of("tenant:acme|principal:alice", "inv-1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("tenant:globex|principal:alice", "inv-1"))).isPresent();
        assertThat(store.find(IdempotencyKey.of("tenant:acme|principal:bob", "inv-1"))).isPresent();
    }

    @Test
    void withoutATenantOrACallerThereIsNoIdentity() throws Exception {
        int before = context.getBean(InvoiceController.class).runs.get();
        HttpResponse<String> noTenant = invoice("carol", null);
        HttpResponse<String> badTenant = invoice("carol", "acme|principal:x");
        HttpResponse<String> anonymous = invoice(null, "acme");

        assertThat(List.of(noTenant, badTenant, anonymous)).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.body()).contains("https://idempotency.dev/problems/principal-required");
        });
        assertThat(context.getBean(InvoiceController.class).runs.get()).isEqualTo(before);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({FakeAuthentication.class, TenantScopeConfiguration.class, InvoiceController.class})
    static class TenantApp {}

    @RestController
    static class InvoiceController {

        final AtomicInteger runs = new AtomicInteger();

        @PostMapping("/invoices")
        @Idempotent
        org.springframework.http.ResponseEntity<String> invoice(@RequestBody String body,
                @RequestHeader("X-Tenant-Id") String tenant, Principal principal) {
            return org.springframework.http.ResponseEntity.status(201)
                    .body("invoice " + runs.incrementAndGet() + " of " + tenant + " for " + principal.getName());
        }
    }
}
