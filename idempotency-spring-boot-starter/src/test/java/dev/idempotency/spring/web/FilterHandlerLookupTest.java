package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;

/** The application's handler mappings are asked once per request: the dispatcher takes the filter's lookup. */
class FilterHandlerLookupTest {

    /** Asked before Spring MVC's own mapping; finds nothing, counts how often it is asked. */
    static final class CountingHandlerMapping implements HandlerMapping, Ordered {

        final AtomicInteger lookups = new AtomicInteger();

        @Override
        public HandlerExecutionChain getHandler(HttpServletRequest request) {
            lookups.incrementAndGet();
            return null;
        }

        @Override
        public int getOrder() {
            return -1;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Counting {

        @Bean
        CountingHandlerMapping countingHandlerMapping() {
            return new CountingHandlerMapping();
        }
    }

    @Test
    void eachRequestIsLookedUpOnceAndStillReachesItsHandlerWithItsPathVariables() {
        withMvc(runner().withUserConfiguration(Counting.class), (mvc, controller, context) -> {
            AtomicInteger lookups = context.getBean(CountingHandlerMapping.class).lookups;
            mvc.perform(post("/plain")).andExpect(status().isOk());
            assertThat(lookups).as("an unprotected request").hasValue(1);

            mvc.perform(post("/orders/42/items").header("Idempotency-Key", "lookup-1"))
                    .andExpect(status().isOk()).andExpect(content().string("item for 42 #1"));
            assertThat(lookups).as("a protected request whose handler runs").hasValue(2);

            mvc.perform(post("/orders/42/items").header("Idempotency-Key", "lookup-1"))
                    .andExpect(header().string("Idempotent-Replayed", "true")).andExpect(content().string("item for 42 #1"));
            assertThat(lookups).as("a replay").hasValue(3);

            mvc.perform(post("/nowhere")).andExpect(status().isNotFound());
            assertThat(lookups).as("no handler: the dispatcher searches again and answers 404").hasValue(5);
        });
    }

    @Test
    void theLookupServesOnlyTheDispatchItWasMadeFor() throws Exception {
        ResolvedHandlerMapping mapping = new ResolvedHandlerMapping();
        HandlerExecutionChain chain = new HandlerExecutionChain(new Object());

        MockHttpServletRequest request = resolved("POST", "/orders/7", chain);
        request.setAttribute("stale", "value");
        assertThat(mapping.getHandler(request)).isSameAs(chain);
        assertThat(request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE)).isEqualTo("/orders/{id}");
        assertThat(request.getAttribute("stale")).as("removed during the lookup").isNull();
        assertThat(mapping.getHandler(request)).as("taken once").isNull();

        MockHttpServletRequest forward = resolved("POST", "/orders/7", chain);
        forward.setDispatcherType(DispatcherType.FORWARD);
        assertThat(mapping.getHandler(forward)).isNull();
        forward.setDispatcherType(DispatcherType.ERROR);
        assertThat(mapping.getHandler(forward)).isNull();

        MockHttpServletRequest rewritten = resolved("POST", "/orders/7", chain);
        rewritten.setRequestURI("/orders/8");
        assertThat(mapping.getHandler(rewritten)).isNull();
        assertThat(rewritten.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE)).isNull();

        MockHttpServletRequest otherMethod = resolved("POST", "/orders/7", chain);
        otherMethod.setMethod("PUT");
        assertThat(mapping.getHandler(otherMethod)).isNull();

        assertThat(mapping.getHandler(new MockHttpServletRequest("POST", "/orders/7"))).as("no lookup was made").isNull();
    }

    private static MockHttpServletRequest resolved(String method, String uri, HandlerExecutionChain chain) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, uri);
        request.setAttribute(ResolvedHandlerMapping.ATTRIBUTE, new ResolvedHandlerMapping.Resolved(chain,
                Map.of(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, "/orders/{id}"), Set.of("stale"), method, uri));
        return request;
    }
}
