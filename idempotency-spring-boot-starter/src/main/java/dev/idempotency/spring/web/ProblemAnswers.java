package dev.idempotency.spring.web;

import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The filter's own answers, one method per problem: each writes an RFC 9457 body with the status configured under
 * {@code idempotency.status} and the request's path as {@code instance}.
 */
final class ProblemAnswers {

    private final IdempotencyProperties properties;

    ProblemAnswers(IdempotencyProperties properties) {
        this.properties = properties;
    }

    void principalRequired(HttpServletRequest request, HttpServletResponse response) throws IOException {
        problem(IdempotencyProblem.PRINCIPAL_REQUIRED,
                "This endpoint keeps idempotency keys per caller and needs an authenticated caller.", request)
                .writeTo(response);
    }

    void keyMissing(HttpServletRequest request, HttpServletResponse response) throws IOException {
        problem(IdempotencyProblem.KEY_MISSING, "This endpoint requires an " + properties.getHeaderName() + " header.",
                request).writeTo(response);
    }

    void keyInvalid(InvalidIdempotencyKeyException e, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        problem(IdempotencyProblem.KEY_INVALID, e.getMessage(), request).with("reason", e.reason().name()).writeTo(response);
    }

    /** A body too large or that cannot be parsed for the fingerprint. */
    void rejected(RequestRejectedException e, HttpServletRequest request, HttpServletResponse response) throws IOException {
        problem(e.problem(), e.getMessage(), request).writeTo(response);
    }

    void shuttingDown(HttpServletRequest request, HttpServletResponse response) throws IOException {
        problem(IdempotencyProblem.STORE_UNAVAILABLE,
                "The server is shutting down, so the request was not processed. Retry with the same key.", request)
                .writeTo(response);
    }

    void storeUnavailable(HttpServletRequest request, HttpServletResponse response) throws IOException {
        problem(IdempotencyProblem.STORE_UNAVAILABLE,
                "The request could not be checked for duplicates, so it was not processed. Retry with the same key.", request)
                .writeTo(response);
    }

    void keyInUse(long retryAfterSeconds, HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        problem(IdempotencyProblem.KEY_IN_USE, "A request with this idempotency key is still being processed. Retry after "
                + retryAfterSeconds + " seconds.", request).writeTo(response);
    }

    void keyReused(HttpServletRequest request, HttpServletResponse response) throws IOException {
        problem(IdempotencyProblem.KEY_REUSED, "This idempotency key was already used for a different request (method, "
                + "path or body). Use a new key.", request).writeTo(response);
    }

    /** The answer to a retry of a key whose response was not stored; {@link ResponseReplayer} adds its headers. */
    ProblemResponse responseNotReplayable(HttpResult stored, HttpServletRequest request) {
        return problem(IdempotencyProblem.RESPONSE_NOT_REPLAYABLE, "The request with this idempotency key was processed "
                + "(status " + stored.status() + "), but its response cannot be replayed: "
                + stored.notReplayable().description() + ". Do not retry it; send a new key for a new request.", request);
    }

    private ProblemResponse problem(IdempotencyProblem problem, String detail, HttpServletRequest request) {
        return new ProblemResponse(problem, properties.getStatus().of(problem), detail, request.getRequestURI());
    }
}
