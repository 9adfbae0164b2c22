package dev.idempotency.spring;

import java.net.URI;

/**
 * The RFC 9457 problems the filter answers with. Their {@code type} URIs are stable and documented in
 * {@code docs/http-semantics.md}; clients may branch on them.
 */
public enum IdempotencyProblem {

    /** The handler requires a key and the request has none. */
    KEY_MISSING("key-missing", "Idempotency key missing"),
    /** The key is empty, too long, not printable ASCII, malformed, or the header was sent more than once. */
    KEY_INVALID("key-invalid", "Idempotency key invalid"),
    /** A request with this key is still running. */
    KEY_IN_USE("key-in-use", "Idempotency key in use"),
    /** The key was used before for a different request (method, path, scope or body). */
    KEY_REUSED("key-reused", "Idempotency key reused"),
    /** The request body exceeds the size the filter reads for the fingerprint. */
    REQUEST_TOO_LARGE("request-too-large", "Request too large"),
    /** A JSON request body could not be parsed, so it cannot be fingerprinted. */
    INVALID_JSON("invalid-json", "Invalid JSON body"),
    /** A multipart request body could not be parsed (malformed, or the application has no multipart support). */
    INVALID_MULTIPART("invalid-multipart", "Invalid multipart body"),
    /**
     * The key's request was processed, but its response could not be stored for replay (too large, streamed, sent as
     * an error page, failed after commit, or asynchronous work that outlived its request). Retrying does not run it
     * again; the problem carries the original status as {@code originalStatus}.
     */
    RESPONSE_NOT_REPLAYABLE("response-not-replayable", "Response not replayable"),
    /** The idempotency store could not be reached; the handler did not run. */
    STORE_UNAVAILABLE("store-unavailable", "Idempotency store unavailable"),
    /**
     * A principal-scoped handler was reached without an authenticated caller, so there is no scope to keep the key
     * in; nothing was claimed and the handler did not run ({@code idempotency.anonymous=reject}).
     */
    PRINCIPAL_REQUIRED("principal-required", "Authenticated principal required");

    /** Prefix of every problem type URI. */
    public static final String TYPE_PREFIX = "https://idempotency.dev/problems/";

    private final String slug;
    private final String title;

    IdempotencyProblem(String slug, String title) {
        this.slug = slug;
        this.title = title;
    }

    /** The problem's {@code type}, for example {@code https://idempotency.dev/problems/key-in-use}. */
    public URI type() {
        return URI.create(TYPE_PREFIX + slug);
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }
}
