package dev.idempotency.spring;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Decides which namespace a request's idempotency key lives in, so that two clients sending the same key get two
 * independent records and a guessed key never returns another client's response.
 *
 * <p><b>Which resolver serves a handler.</b>
 * <ul>
 *   <li>{@code @Idempotent(scope = GLOBAL)}: none; the scope is {@link PrincipalScopeResolver#GLOBAL_SCOPE}.</li>
 *   <li>{@code @Idempotent(scopeResolver = "beanName")}: the resolver bean of that name, for that handler only.</li>
 *   <li>Every other handler (and {@code intercept-all-with-header}): the default resolver, which is the bean marked
 *       {@link DefaultIdempotencyScopeResolver @DefaultIdempotencyScopeResolver}, or the auto-configured
 *       {@link PrincipalScopeResolver} when there is none.</li>
 * </ul>
 * Defining a resolver bean never changes the default by itself: only the marker does. A resolver bean that is neither
 * marked nor named by any handler is reported with a WARN at startup, and a handler naming a bean that does not exist
 * fails the startup.
 *
 * <p><b>No identity.</b> Return {@code null} when the request carries no identity to scope by (an anonymous caller).
 * The filter then applies {@code idempotency.anonymous}: {@code reject} (the default) answers 401
 * {@code principal-required} and claims nothing; {@code global} puts the key in the shared
 * {@link PrincipalScopeResolver#GLOBAL_SCOPE}. A resolver that has a namespace for anonymous callers of its own (a
 * webhook sender, an API key) returns it instead of {@code null}.
 *
 * <p>Implementations run on every protected request, after Spring Security, and must be thread-safe.
 */
@FunctionalInterface
public interface IdempotencyScopeResolver {

    /** Longest scope a store accepts (the width of the scope column in the shipped schemas). */
    int MAX_SCOPE_LENGTH = 255;

    /**
     * Returns the scope for this request: 1 to {@value #MAX_SCOPE_LENGTH} characters, or {@code null} when the
     * request has no identity (see above). Return values of different clients must never be equal; build them with
     * {@link #scope(String, String)} to keep them apart from other resolvers' scopes and within the length limit.
     * An empty or over-long scope is a bug of the resolver: the request fails with an {@link IllegalStateException}.
     */
    @Nullable String resolveScope(HttpServletRequest request);

    /**
     * Builds the scope {@code <namespace>:<identity>}, or {@code <namespace>-sha256:<hex>} (the SHA-256 of the
     * identity) when that would be longer than {@value #MAX_SCOPE_LENGTH} characters. Two identities in one namespace
     * get two scopes, and scopes of two namespaces never meet; none contains the global scope's name alone.
     *
     * @param namespace what kind of identity this is, e.g. {@code tenant}: 1 to 32 letters, digits, {@code .},
     *        {@code _} or {@code -}, not ending in {@code -sha256}
     * @param identity the caller's identity within the namespace, any length
     */
    static String scope(String namespace, String identity) {
        if (!isNamespace(namespace)) {
            throw new IllegalArgumentException("Invalid scope namespace '" + namespace
                    + "': use 1 to 32 letters, digits, '.', '_' or '-', not ending in -sha256");
        }
        if (identity == null || identity.isEmpty()) {
            throw new IllegalArgumentException("The identity of a scope must not be empty; return null for no identity");
        }
        String scope = namespace + ":" + identity;
        if (scope.length() <= MAX_SCOPE_LENGTH) {
            return scope;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return namespace + "-sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static boolean isNamespace(String namespace) {
        if (namespace == null || namespace.isEmpty() || namespace.length() > 32 || namespace.endsWith("-sha256")) {
            return false;
        }
        for (int i = 0; i < namespace.length(); i++) {
            char c = namespace.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
