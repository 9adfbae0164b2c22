package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.PROBLEM_JSON;
import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.order;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withAnonymousMvc;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.IdempotencyScopeResolver;
import org.junit.jupiter.api.Test;

/** The scope a key is kept in: per principal, global, a default or a named resolver, and the anonymous-caller policy. */
class FilterScopeTest {

    @Test
    void twoPrincipalsWithTheSameKeyAreIndependent() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "same").principal(() -> "alice")).andExpect(content().string("hello alice #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "same").principal(() -> "bob")).andExpect(content().string("hello bob #2"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "same").principal(() -> "alice")).andExpect(content().string("hello alice #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "same")).andExpect(content().string("hello client #3"));
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of("principal:alice", "same"))).isPresent();
            assertThat(store.find(IdempotencyKey.of("principal:bob", "same"))).isPresent();
            assertThat(store.find(IdempotencyKey.of(SCOPE, "same"))).isPresent();
            assertThat(store.find(IdempotencyKey.of("global", "same"))).isEmpty();
        });
    }

    @Test
    void anonymousCallerOfAPrincipalScopedHandlerIs401AndNothingIsClaimed() {
        withAnonymousMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1"))
                    .andExpect(status().isUnauthorized())
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/principal-required"))
                    .andExpect(jsonPath("$.title").value("Authenticated principal required"))
                    .andExpect(jsonPath("$.status").value(401))
                    .andExpect(jsonPath("$.detail").isNotEmpty())
                    .andExpect(jsonPath("$.instance").value("/whoami"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1")).andExpect(status().isUnauthorized());
            // The caller's identity is checked before the key: no key, or a bad one, is still 401.
            mvc.perform(post("/whoami"))
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/principal-required"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "\"bad")).andExpect(status().isUnauthorized());
            assertThat(controller.calls("whoami")).isZero();
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of("global", "anon-1"))).isEmpty();
            // A handler whose key is optional still runs unprotected without one; with one, it needs a caller.
            mvc.perform(post("/optional")).andExpect(status().isOk());
            mvc.perform(post("/optional").header("Idempotency-Key", "anon-2")).andExpect(status().isUnauthorized());
            assertThat(controller.calls("optional")).isEqualTo(1);
            // A handler meant for anonymous callers says so.
            mvc.perform(post("/global").header("Idempotency-Key", "anon-3")).andExpect(status().isOk());
            mvc.perform(post("/global").header("Idempotency-Key", "anon-3")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("global")).isEqualTo(1);
        });
    }

    @Test
    void principalRequiredStatusIsConfigurable() {
        withAnonymousMvc(runner().withPropertyValues("idempotency.status.principal-required=403"), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1"))
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/principal-required"))
                    .andExpect(jsonPath("$.status").value(403));
        });
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void anonymousGlobalPolicyWarnsOncePerHandlerAndUsesTheGlobalScope(
            org.springframework.boot.test.system.CapturedOutput output) {
        withAnonymousMvc(runner().withPropertyValues("idempotency.anonymous=global"), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1")).andExpect(content().string("hello anonymous #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-2")).andExpect(content().string("hello anonymous #2"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/global").header("Idempotency-Key", "anon-3"));
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of("global", "anon-1"))).isPresent();
            String warning = "TestController.whoami() uses the principal scope, but a request reached it without an authenticated principal";
            assertThat(output.getOut().split(java.util.regex.Pattern.quote(warning), -1)).hasSize(2);
            assertThat(output.getOut()).contains("WARN").contains("idempotency.anonymous=global")
                    .contains("idempotency.filter-order").doesNotContain("TestController.global()");
        });
    }

    @Test
    void aPrincipalNamedGlobalDoesNotShareTheGlobalScope() {
        withAnonymousMvc(runner().withPropertyValues("idempotency.anonymous=global"), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "g")).andExpect(content().string("hello anonymous #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "g").principal(() -> "global")).andExpect(content().string("hello global #2"));
        });
    }

    @Test
    void globalScopeIsSharedByAllPrincipals() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/global").header("Idempotency-Key", "hook-1").principal(() -> "alice"));
            mvc.perform(post("/global").header("Idempotency-Key", "hook-1").principal(() -> "bob")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("global")).isEqualTo(1);
        });
    }

    /** A default resolver of the application's own: per tenant, and anonymous callers are its business. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class TenantDefault {
        @org.springframework.context.annotation.Bean
        @dev.idempotency.spring.DefaultIdempotencyScopeResolver
        IdempotencyScopeResolver byTenant() {
            return request -> request.getHeader("X-Tenant") == null ? null : "tenant:" + request.getHeader("X-Tenant");
        }
    }

    @Test
    void aResolverMarkedAsDefaultReplacesThePrincipalScope() {
        withMvc(runner().withUserConfiguration(TenantDefault.class), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t1").principal(() -> "alice"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t1").principal(() -> "bob"))
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t2").principal(() -> "alice"))
                    .andExpect(header().doesNotExist("Idempotent-Replayed"));
            assertThat(controller.calls("whoami")).isEqualTo(2);
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of("tenant:t1", "k"))).isPresent();
            // The resolver decides about identity: no tenant is no identity, whoever the principal.
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").principal(() -> "alice")).andExpect(status().isUnauthorized());
        });
        withAnonymousMvc(runner().withUserConfiguration(TenantDefault.class), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t1")).andExpect(content().string("hello anonymous #1"));
        });
    }

    @Test
    void handlerCanNameItsOwnScopeResolverBeanWithoutChangingOtherHandlers() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/tenant").header("Idempotency-Key", "k").header("X-Tenant", "acme"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "acme"));
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of("tenant:acme", "k"))).isPresent();
            assertThat(store.find(IdempotencyKey.of(SCOPE, "k"))).isPresent();
            assertThat(controller.calls("whoami")).isEqualTo(1);
        });
    }
}
