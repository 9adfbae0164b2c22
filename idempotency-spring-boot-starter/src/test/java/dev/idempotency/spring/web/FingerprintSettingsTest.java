package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The fingerprint settings through the auto-configured filter: {@code idempotency.fingerprint.*} and
 * {@code @Idempotent(fingerprintHeaders)} take effect, and invalid values fail the startup instead of every request.
 */
class FingerprintSettingsTest {

    @RestController
    public static class AccountController {

        private int runs;

        @PostMapping("/accounts/transfers")
        @Idempotent(scope = IdempotencyScope.GLOBAL, fingerprintHeaders = "X-Account-Id")
        public synchronized String transfer(@RequestBody String body) {
            return "transfer #" + ++runs;
        }
    }

    @RestController
    public static class BlankHeaderController {

        @PostMapping("/blank-header")
        @Idempotent(scope = IdempotencyScope.GLOBAL, fingerprintHeaders = " ")
        public String blank() {
            return "never";
        }
    }

    @Test
    void theHandlersFingerprintHeaderSeparatesAccountsAndTheDepthLimitIsConfigurable() {
        withMvc(runner().withUserConfiguration(AccountController.class)
                .withPropertyValues("idempotency.fingerprint.max-json-depth=2"), (mvc, controller, context) -> {
            mvc.perform(post("/accounts/transfers").header("Idempotency-Key", "t-1").header("X-Account-Id", "a")
                    .contentType(MediaType.APPLICATION_JSON).content("{\"amount\":[1]}"))
                    .andExpect(content().string("transfer #1"));
            mvc.perform(post("/accounts/transfers").header("Idempotency-Key", "t-1").header("X-Account-Id", "b")
                    .contentType(MediaType.APPLICATION_JSON).content("{\"amount\":[1]}"))
                    .andExpect(status().is(422))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-reused"));
            mvc.perform(post("/accounts/transfers").header("Idempotency-Key", "t-1").header("X-Account-Id", "a")
                    .contentType(MediaType.APPLICATION_JSON).content("{ \"amount\" : [1] }"))
                    .andExpect(content().string("transfer #1"))
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/accounts/transfers").header("Idempotency-Key", "t-2").header("X-Account-Id", "a")
                    .contentType(MediaType.APPLICATION_JSON).content("{\"amount\":[[1]]}"))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/invalid-json"))
                    .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("nested deeper than 2")));
        });
    }

    @Test
    void aBlankFingerprintHeaderOnAHandlerFailsTheStartupNamingTheMethod() {
        runner().withUserConfiguration(BlankHeaderController.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure()
                    .hasStackTraceContaining("Invalid @Idempotent(fingerprintHeaders)")
                    .hasStackTraceContaining("BlankHeaderController.blank()");
        });
    }

    @Test
    void invalidFingerprintPropertiesFailTheStartup() {
        runner().withPropertyValues("idempotency.fingerprint.max-json-depth=0").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure().hasStackTraceContaining("idempotency.fingerprint.max-json-depth must be between 1 and 1000");
        });
        runner().withPropertyValues("idempotency.fingerprint.headers=X-Account-Id, ").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure().hasStackTraceContaining("idempotency.fingerprint.headers contains a blank header name");
        });
    }
}
