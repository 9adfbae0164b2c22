package dev.idempotency.spring;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Decides which namespace a request's idempotency key lives in, so that two clients sending the same key get two
 * independent records and a guessed key never returns another client's response.
 *
 * <p>Define a bean of this type to replace the default {@link PrincipalScopeResolver}, for example to scope keys
 * per tenant. Implementations run on every protected request, after Spring Security, and must be thread-safe.
 */
@FunctionalInterface
public interface IdempotencyScopeResolver {

    /**
     * Returns the scope for this request: non-empty, at most 255 characters. Return values of different clients must
     * never be equal; {@link PrincipalScopeResolver#GLOBAL_SCOPE} is the scope of requests with no client identity.
     */
    String resolveScope(HttpServletRequest request);
}
