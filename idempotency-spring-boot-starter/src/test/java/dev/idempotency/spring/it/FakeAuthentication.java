package dev.idempotency.spring.it;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import org.springframework.core.Ordered;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Stands in for Spring Security, ahead of the idempotency filter: {@code X-User} becomes a principal by name, and
 * {@code X-Jwt: <issuer> <subject>} a real {@link JwtAuthenticationToken}, as a resource server would set it. A request
 * without either stays anonymous. Shared by the integration-test applications.
 */
public class FakeAuthentication extends OncePerRequestFilter implements Ordered {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Principal principal = principal(request);
        if (principal == null) {
            chain.doFilter(request, response);
            return;
        }
        chain.doFilter(new HttpServletRequestWrapper(request) {
            @Override
            public Principal getUserPrincipal() {
                return principal;
            }
        }, response);
    }

    private static Principal principal(HttpServletRequest request) {
        String user = request.getHeader("X-User");
        if (user != null) {
            return () -> user;
        }
        String jwt = request.getHeader("X-Jwt");
        if (jwt != null) {
            String[] issuerAndSubject = jwt.split(" ");
            return new JwtAuthenticationToken(Jwt.withTokenValue("token").header("alg", "RS256")
                    .issuer(issuerAndSubject[0]).subject(issuerAndSubject[1]).build());
        }
        return null;
    }

    @Override
    public int getOrder() {
        return -100;
    }
}
