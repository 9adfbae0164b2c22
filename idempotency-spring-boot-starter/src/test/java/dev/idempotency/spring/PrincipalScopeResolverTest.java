package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

class PrincipalScopeResolverTest {

    private final PrincipalScopeResolver resolver = new PrincipalScopeResolver();

    private String scopeOf(String name) {
        MockHttpServletRequest request = new MockHttpServletRequest();
        if (name != null) {
            request.setUserPrincipal(() -> name);
        }
        return resolver.resolveScope(request);
    }

    @Test
    void authenticatedRequestsArePrefixedAnonymousOnesAreGlobal() {
        assertThat(scopeOf("alice")).isEqualTo("principal:alice");
        assertThat(scopeOf(null)).isEqualTo(PrincipalScopeResolver.GLOBAL_SCOPE);
        assertThat(scopeOf("")).isEqualTo(PrincipalScopeResolver.GLOBAL_SCOPE);
    }

    @Test
    void noPrincipalNameCollidesWithTheGlobalScope() {
        assertThat(scopeOf("global")).isNotEqualTo(PrincipalScopeResolver.GLOBAL_SCOPE);
        assertThat(PrincipalScopeResolver.GLOBAL_SCOPE).doesNotContain(":");
    }

    @Test
    void namesTooLongForAScopeAreHashedDistinctly() {
        String scope = scopeOf("x".repeat(300));
        assertThat(scope).startsWith("principal-sha256:").hasSizeLessThanOrEqualTo(255);
        assertThat(scopeOf("y".repeat(300))).isNotEqualTo(scope);
        assertThat(scopeOf("x".repeat(300))).isEqualTo(scope);
    }
}
