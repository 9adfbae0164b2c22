package dev.idempotency.spring;

import java.security.Principal;
import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.ClaimAccessor;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;

/**
 * Reads the issuer and subject of a Spring Security OAuth2 authentication. Loaded only when Spring Security's OAuth2
 * classes are present (see {@link PrincipalScopeResolver}).
 */
final class OAuth2Identity {

    private OAuth2Identity() {}

    /**
     * Returns {@code <issuer>|<subject>}, or {@code null} when the principal does not carry both. A {@code |} or
     * {@code %} in the issuer is percent-encoded, so the first {@code |} always ends the issuer and two different
     * pairs never give the same text.
     */
    static String issuerAndSubject(Principal principal) {
        if (!(principal instanceof Authentication authentication)) {
            return null;
        }
        Map<String, Object> claims = claims(authentication.getPrincipal());
        if (claims == null) {
            return null;
        }
        Object issuer = claims.get("iss");
        Object subject = claims.get("sub");
        if (issuer == null || subject == null) {
            return null;
        }
        String iss = issuer.toString();
        String sub = subject.toString();
        if (iss.isEmpty() || sub.isEmpty()) {
            return null;
        }
        return iss.replace("%", "%25").replace("|", "%7C") + "|" + sub;
    }

    /**
     * The claims of a {@code Jwt} ({@code JwtAuthenticationToken}) or an OIDC token, or the attributes of an
     * introspected token ({@code BearerTokenAuthentication}) or an OAuth2 login's user.
     */
    private static Map<String, Object> claims(Object principal) {
        if (principal instanceof ClaimAccessor accessor) {
            return accessor.getClaims();
        }
        if (principal instanceof OAuth2AuthenticatedPrincipal oauth2) {
            return oauth2.getAttributes();
        }
        return null;
    }
}
