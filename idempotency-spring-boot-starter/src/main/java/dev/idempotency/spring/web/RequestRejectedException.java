package dev.idempotency.spring.web;

import dev.idempotency.spring.IdempotencyProblem;

/** The filter refuses a request before any claim, with one of its problems. */
final class RequestRejectedException extends Exception {

    private final IdempotencyProblem problem;

    RequestRejectedException(IdempotencyProblem problem, String detail) {
        super(detail, null, false, false);
        this.problem = problem;
    }

    IdempotencyProblem problem() {
        return problem;
    }
}
