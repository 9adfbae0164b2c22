package dev.idempotency.spring;

/** Which namespace an {@link Idempotent} handler's keys live in. */
public enum IdempotencyScope {

    /**
     * Per client, as decided by the {@link IdempotencyScopeResolver} bean. The default resolver uses the
     * authenticated principal's name and falls back to the global scope for anonymous requests; define your own
     * resolver bean to scope by tenant, API key or anything else.
     */
    PRINCIPAL,

    /**
     * One namespace shared by every client. Only for endpoints where any client may see any other client's
     * response, for example unauthenticated webhooks whose keys are unguessable.
     */
    GLOBAL
}
