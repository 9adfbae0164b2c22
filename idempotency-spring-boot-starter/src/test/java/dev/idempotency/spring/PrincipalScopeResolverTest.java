package dev.idempotency.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.security.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.oauth2.core.DefaultOAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

class PrincipalScopeResolverTest {

    private final PrincipalScopeResolver resolver = new PrincipalScopeResolver();

    private String scopeOf(Principal principal) {
        MockHttpServletRequest request = new MockHttpServletRequest();
        request.setUserPrincipal(principal);
        return resolver.resolveScope(request);
    }

    private String scopeOf(String name) {
        return scopeOf(name == null ? null : (Principal) () -> name);
    }

    private static JwtAuthenticationToken jwt(String issuer, String subject) {
        Jwt.Builder jwt = Jwt.withTokenValue("token").header("alg", "RS256").subject(subject);
        if (issuer != null) {
            jwt.issuer(issuer);
        }
        return new JwtAuthenticationToken(jwt.build());
    }

    @Test
    void authenticatedRequestsArePrefixedAnonymousOnesHaveNoIdentity() {
        assertThat(scopeOf("alice")).isEqualTo("principal:alice");
        assertThat(scopeOf((String) null)).isNull();
        assertThat(scopeOf("")).isNull();
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
        assertThat(scopeOf("x".repeat(245))).isEqualTo("principal:" + "x".repeat(245));
        assertThat(scopeOf("x".repeat(246))).startsWith("principal-sha256:");
    }

    @Test
    void aJwtIsScopedByIssuerAndSubjectNotByItsName() {
        assertThat(scopeOf(jwt("https://a.example", "user-1"))).isEqualTo("oauth2:https://a.example|user-1");
        assertThat(scopeOf(jwt("https://b.example", "user-1"))).isEqualTo("oauth2:https://b.example|user-1");
        // The principal's name alone would be "user-1" for both.
        assertThat(jwt("https://a.example", "user-1").getName()).isEqualTo(jwt("https://b.example", "user-1").getName());
    }

    @Test
    void aBarInTheIssuerCannotMoveTheBoundaryBetweenIssuerAndSubject() {
        String first = scopeOf(jwt("https://a.example|x", "y"));
        String second = scopeOf(jwt("https://a.example", "x|y"));
        assertThat(first).isEqualTo("oauth2:https://a.example%7Cx|y");
        assertThat(second).isEqualTo("oauth2:https://a.example|x|y");
        assertThat(scopeOf(jwt("https://a.example%7Cx", "y"))).isNotEqualTo(first);
    }

    @Test
    void aJwtWithoutAnIssuerFallsBackToThePrincipalName() {
        assertThat(scopeOf(jwt(null, "user-1"))).isEqualTo("principal:user-1");
    }

    @Test
    void anIntrospectedBearerTokenIsScopedByIssuerAndSubject() {
        DefaultOAuth2AuthenticatedPrincipal principal = new DefaultOAuth2AuthenticatedPrincipal("alice",
                Map.of("iss", URI.create("https://idp.example").toString(), "sub", "0042"), List.of());
        OAuth2AccessToken token = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "opaque", Instant.now(),
                Instant.now().plusSeconds(60));
        assertThat(scopeOf(new BearerTokenAuthentication(principal, token, List.of())))
                .isEqualTo("oauth2:https://idp.example|0042");
    }

    @Test
    void otherSpringSecurityAuthenticationsAreScopedByName() {
        assertThat(scopeOf(UsernamePasswordAuthenticationToken.authenticated("alice", "n/a", List.of())))
                .isEqualTo("principal:alice");
    }

    @Test
    void veryLongIssuersAreHashed() {
        String scope = scopeOf(jwt("https://" + "i".repeat(300) + ".example", "user-1"));
        assertThat(scope).startsWith("oauth2-sha256:").hasSize("oauth2-sha256:".length() + 64);
    }

    @Test
    void scopesOfTwoNamespacesNeverMeet() {
        assertThat(IdempotencyScopeResolver.scope("tenant", "acme")).isEqualTo("tenant:acme");
        assertThatThrownBy(() -> IdempotencyScopeResolver.scope("tenant:a", "b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyScopeResolver.scope("tenant-sha256", "b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyScopeResolver.scope("", "b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyScopeResolver.scope("tenant", "")).isInstanceOf(IllegalArgumentException.class);
    }
}
