package dev.idempotency.spring.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.spring.IdempotencyProblem;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;

class ProblemResponseTest {

    @Test
    void writesRfc9457MembersAndExtensions() throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        new ProblemResponse(IdempotencyProblem.KEY_IN_USE, 409, "busy", "/orders").with("reason", "X").with("n", 3).writeTo(response);
        assertThat(response.getStatus()).isEqualTo(409);
        assertThat(response.getContentType()).isEqualTo("application/problem+json");
        assertThat(response.getContentAsString(StandardCharsets.UTF_8)).isEqualTo(
                "{\"type\":\"https://idempotency.dev/problems/key-in-use\",\"title\":\"Idempotency key in use\","
                        + "\"status\":409,\"detail\":\"busy\",\"instance\":\"/orders\",\"reason\":\"X\",\"n\":3}");
    }

    @Test
    void escapesStrings() {
        String json = new ProblemResponse(IdempotencyProblem.KEY_INVALID, 400, "a \"quoted\" \\ \n\u0001\u2028 é", "/p?q=\"x\"").toJson();
        assertThat(json).contains("\"detail\":\"a \\\"quoted\\\" \\\\ \\n\\u0001\\u2028 é\"")
                .contains("\"instance\":\"/p?q=\\\"x\\\"\"");
    }

    @Test
    void everyProblemHasAStableTypeUnderTheSamePrefix() {
        for (IdempotencyProblem problem : IdempotencyProblem.values()) {
            assertThat(problem.type().toString()).startsWith(IdempotencyProblem.TYPE_PREFIX).endsWith(problem.slug());
        }
        assertThat(IdempotencyProblem.KEY_REUSED.type()).hasToString("https://idempotency.dev/problems/key-reused");
    }
}
