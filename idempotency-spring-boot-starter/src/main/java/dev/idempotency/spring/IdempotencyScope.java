package dev.idempotency.spring;

/** Which namespace an {@link Idempotent} handler's keys live in. */
public enum IdempotencyScope {

    /**
     * Per client, as decided by the default {@link IdempotencyScopeResolver} (or the one the handler names). The
     * auto-configured {@link PrincipalScopeResolver} uses the authenticated caller's identity; an anonymous request
     * gets 401 {@code principal-required} (see {@code idempotency.anonymous}). Mark your own resolver bean with
     * {@link DefaultIdempotencyScopeResolver} to scope by tenant, API key or anything else.
     */
    PRINCIPAL,

    /**
     * One namespace shared by every client, anonymous ones included. Only for endpoints where any client may see any
     * other client's response, for example unauthenticated webhooks whose keys are unguessable.
     */
    GLOBAL
}
