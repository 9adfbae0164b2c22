package dev.idempotency.spring;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import org.springframework.util.ClassUtils;

/**
 * The default {@link IdempotencyScopeResolver}: the authenticated caller's identity
 * ({@link HttpServletRequest#getUserPrincipal()}), or {@code null} (no identity) for an anonymous request.
 *
 * <ul>
 *   <li>{@code oauth2:<issuer>|<subject>} when the principal is a Spring Security OAuth2 authentication that knows
 *       both: a {@code JwtAuthenticationToken} (the {@code iss} and {@code sub} claims), a
 *       {@code BearerTokenAuthentication} of an introspected token, or an OpenID Connect login. Two issuers that
 *       both have a user {@code 42} are two callers, whatever the principal's display name. Only when
 *       {@code spring-security-oauth2-core} is on the classpath; the starter never needs it otherwise.</li>
 *   <li>{@code principal:<name>} for any other principal ({@link Principal#getName()}).</li>
 * </ul>
 *
 * <p>Scopes are built with {@link IdempotencyScopeResolver#scope(String, String)}: an identity too long for a scope
 * is replaced by its SHA-256 ({@code principal-sha256:<hex>}, {@code oauth2-sha256:<hex>}), and no scope equals
 * {@value #GLOBAL_SCOPE}, which has no colon.
 */
public class PrincipalScopeResolver implements IdempotencyScopeResolver {

    /**
     * The scope of {@link IdempotencyScope#GLOBAL} handlers, and of anonymous requests when
     * {@code idempotency.anonymous=global}.
     */
    public static final String GLOBAL_SCOPE = "global";

    /** Checked once: without Spring Security's OAuth2 classes, {@link OAuth2Identity} is never loaded. */
    private static final boolean OAUTH2_PRESENT = ClassUtils.isPresent("org.springframework.security.core.Authentication",
            PrincipalScopeResolver.class.getClassLoader())
            && ClassUtils.isPresent("org.springframework.security.oauth2.core.ClaimAccessor",
                    PrincipalScopeResolver.class.getClassLoader());

    @Override
    public String resolveScope(HttpServletRequest request) {
        Principal principal = request.getUserPrincipal();
        if (principal == null) {
            return null;
        }
        if (OAUTH2_PRESENT) {
            String issuerAndSubject = OAuth2Identity.issuerAndSubject(principal);
            if (issuerAndSubject != null) {
                return IdempotencyScopeResolver.scope("oauth2", issuerAndSubject);
            }
        }
        String name = principal.getName();
        if (name == null || name.isEmpty()) {
            return null;
        }
        return IdempotencyScopeResolver.scope("principal", name);
    }
}
