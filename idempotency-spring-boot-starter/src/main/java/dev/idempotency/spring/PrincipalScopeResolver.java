package dev.idempotency.spring;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.util.HexFormat;

/**
 * The default {@link IdempotencyScopeResolver}: {@code principal:<name>} for an authenticated request
 * ({@link HttpServletRequest#getUserPrincipal()}), {@value #GLOBAL_SCOPE} otherwise.
 *
 * <p>Every principal scope starts with {@code principal:} and the global scope does not contain a colon, so no
 * principal name can collide with the global scope. Names too long for a scope are replaced by their SHA-256.
 */
public class PrincipalScopeResolver implements IdempotencyScopeResolver {

    /** The scope of requests without an authenticated principal, and of {@link IdempotencyScope#GLOBAL} handlers. */
    public static final String GLOBAL_SCOPE = "global";

    private static final String PRINCIPAL_PREFIX = "principal:";
    private static final String HASHED_PREFIX = "principal-sha256:";
    private static final int MAX_SCOPE_LENGTH = 255;

    @Override
    public String resolveScope(HttpServletRequest request) {
        Principal principal = request.getUserPrincipal();
        if (principal == null || principal.getName() == null || principal.getName().isEmpty()) {
            return GLOBAL_SCOPE;
        }
        String scope = PRINCIPAL_PREFIX + principal.getName();
        if (scope.length() <= MAX_SCOPE_LENGTH) {
            return scope;
        }
        return HASHED_PREFIX + sha256(principal.getName());
    }

    private static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
