package dev.idempotency.spring.web;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.IdempotencyScope;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.PrincipalScopeResolver;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Method;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The scope a protected request's key is kept in: {@code global} for {@code scope = GLOBAL}, else what the handler's
 * named resolver, or the default one, returns. A request without an identity falls under {@code idempotency.anonymous}:
 * no scope ({@code reject}, the filter answers 401 {@code principal-required}) or the shared {@code global} scope. Either
 * way that is logged once per handler method, because it usually means authentication runs after the filter.
 */
final class ScopeSelector {

    /** The filter's logger: these lines are its decisions, and where users configure its logging. */
    private static final Log log = LogFactory.getLog(IdempotencyFilter.class);

    private final IdempotencyProperties properties;
    private final IdempotencyScopeResolver defaultResolver;
    private final Function<String, IdempotencyScopeResolver> namedResolvers;
    private final Set<Method> warnedNoPrincipal = ConcurrentHashMap.newKeySet();

    ScopeSelector(IdempotencyProperties properties, IdempotencyScopeResolver defaultResolver,
            Function<String, IdempotencyScopeResolver> namedResolvers) {
        this.properties = properties;
        this.defaultResolver = defaultResolver;
        this.namedResolvers = namedResolvers;
    }

    /**
     * Returns the scope, or null when the caller has no identity and anonymous callers are rejected.
     *
     * @throws IllegalStateException when a resolver returns an empty or too long scope
     */
    String scope(Idempotent annotation, Method handler, HttpServletRequest request) {
        if (annotation != null && annotation.scope() == IdempotencyScope.GLOBAL) {
            return PrincipalScopeResolver.GLOBAL_SCOPE;
        }
        IdempotencyScopeResolver resolver = defaultResolver;
        if (annotation != null && !annotation.scopeResolver().isEmpty()) {
            resolver = namedResolvers.apply(annotation.scopeResolver());
        }
        String scope = resolver.resolveScope(request);
        if (scope == null) {
            boolean global = properties.getAnonymous() == IdempotencyProperties.AnonymousPolicy.GLOBAL;
            if (handler != null && warnedNoPrincipal.add(handler)) {
                warnNoPrincipal(handler, global);
            }
            return global ? PrincipalScopeResolver.GLOBAL_SCOPE : null;
        }
        if (scope.isEmpty() || scope.length() > IdempotencyKey.MAX_SCOPE_LENGTH) {
            throw new IllegalStateException(resolver.getClass().getName() + " returned the scope '" + scope
                    + "'; a scope must have 1 to " + IdempotencyKey.MAX_SCOPE_LENGTH + " characters, or be null for "
                    + "a request without an identity");
        }
        return scope;
    }

    private void warnNoPrincipal(Method handler, boolean global) {
        String method = handler.getDeclaringClass().getName() + "." + handler.getName() + "()";
        String advice = "If the endpoint needs authentication, authenticate before the idempotency filter "
                + "(idempotency.filter-order is " + properties.getFilterOrder() + "; Spring Security's chain runs "
                + "at -100); if it is anonymous on purpose, use @Idempotent(scope = GLOBAL). Logged once per "
                + "handler method.";
        if (global) {
            log.warn("@Idempotent " + method + " uses the principal scope, but a request reached it without an "
                    + "authenticated principal, so its keys are in the shared 'global' scope "
                    + "(idempotency.anonymous=global): clients can replay each other's responses. " + advice);
        } else {
            log.info("@Idempotent " + method + " uses the principal scope, but a request reached it without an "
                    + "authenticated principal: answered " + properties.getStatus().of(IdempotencyProblem.PRINCIPAL_REQUIRED)
                    + " principal-required. " + advice);
        }
    }
}
