package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyMetricsAutoConfiguration;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.autoconfigure.IdempotencyWebAutoConfiguration;
import java.security.Principal;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.setup.DefaultMockMvcBuilder;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;

/** A Spring MVC application with the starter's auto-configuration, driven through MockMvc and the real filter. */
final class FilterTestSupport {

    private FilterTestSupport() {}

    /**
     * The principal every request of {@link #withMvc} carries unless it sets its own: principal-scoped handlers refuse
     * anonymous callers (401 principal-required), so anonymous requests are sent on purpose, with {@link #withAnonymousMvc}.
     */
    static final String USER = "client";

    /** The scope of {@link #USER}'s keys on principal-scoped handlers. */
    static final String SCOPE = "principal:" + USER;

    static final String PROBLEM_JSON = "application/problem+json";

    /** A POST of {@code json} to the protected {@code /orders}, with the key unless it is null. */
    static MockHttpServletRequestBuilder order(String key, String json) {
        MockHttpServletRequestBuilder request = post("/orders").contentType(MediaType.APPLICATION_JSON).content(json);
        return key == null ? request : request.header("Idempotency-Key", key);
    }

    static MockHttpServletResponse send(MockMvc mvc, MockHttpServletRequestBuilder request) throws Exception {
        return mvc.perform(request).andReturn().getResponse();
    }

    /** {@link #send} for lambdas that cannot throw checked exceptions, such as a {@code CompletableFuture}'s task. */
    static MockHttpServletResponse sendUnchecked(MockMvc mvc, MockHttpServletRequestBuilder request) {
        try {
            return send(mvc, request);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableWebMvc
    @Import({TestController.class, ClassLevelController.class, PrototypeController.class})
    static class WebApp {

        /** Named by {@code TestController.tenant()}, for that handler only. */
        @Bean
        IdempotencyScopeResolver tenantScopeResolver() {
            return request -> "tenant:" + request.getHeader("X-Tenant");
        }
    }

    static WebApplicationContextRunner runner() {
        return new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                        IdempotencyAutoConfiguration.class, IdempotencyWebAutoConfiguration.class,
                        IdempotencyMetricsAutoConfiguration.class))
                .withUserConfiguration(WebApp.class)
                .withPropertyValues("idempotency.purge.enabled=false");
    }

    interface MvcTest {
        void run(MockMvc mvc, TestController controller, AssertableWebApplicationContext context) throws Exception;
    }

    /** Runs the test with a MockMvc whose requests are authenticated as {@link #USER} unless they say otherwise. */
    static void withMvc(WebApplicationContextRunner runner, MvcTest test) {
        run(runner, test, true);
    }

    /** Runs the test with a MockMvc whose requests carry no principal unless they set one. */
    static void withAnonymousMvc(WebApplicationContextRunner runner, MvcTest test) {
        run(runner, test, false);
    }

    private static void run(WebApplicationContextRunner runner, MvcTest test, boolean authenticated) {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            DefaultMockMvcBuilder builder = MockMvcBuilders.webAppContextSetup(context)
                    .addFilters(context.getBean(IdempotencyFilter.class));
            if (authenticated) {
                Principal user = () -> USER;
                builder.defaultRequest(post("/").principal(user));
            }
            test.run(builder.build(), context.getBean(TestController.class), context);
        });
    }

    /** Delegates to an in-memory store, counting claims; or fails every claim, to simulate an outage. */
    static final class ObservedStore extends ForwardingIdempotencyStore {

        final AtomicInteger claims = new AtomicInteger();
        volatile boolean down;
        volatile boolean loseOwnershipOnComplete;

        ObservedStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            claims.incrementAndGet();
            if (down) {
                throw new IdempotencyStoreException("connection refused (simulated)");
            }
            return super.claim(request);
        }

        @Override
        public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
            if (loseOwnershipOnComplete) {
                return new CompleteResult.OwnershipLost();
            }
            return super.complete(key, owner, response, retention);
        }
    }
}
