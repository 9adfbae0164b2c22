package dev.idempotency.spring.web;

import dev.idempotency.spring.IdempotencyProblem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which response headers are kept for replay, and how a stored response is written back to a retry.
 *
 * <p>Only the headers of {@code idempotency.replay-headers} are kept, less those that carry credentials or framing
 * ({@link #NEVER_REPLAYED}) and the CORS headers, which depend on the retry's own {@code Origin}. A replay writes the
 * stored status, headers and body with {@value #REPLAYED_HEADER}{@code : true}. A key whose response could not be
 * stored ({@link HttpResult#replayable()} is false) is answered with the problem
 * {@link IdempotencyProblem#RESPONSE_NOT_REPLAYABLE}, which still carries the stored headers (a {@code Location}, for
 * example), so the client can find what the first request created.
 */
final class ResponseReplayer {

    /** Marks a replayed response, as Stripe does. */
    static final String REPLAYED_HEADER = "Idempotent-Replayed";

    /** Never stored or replayed, whatever {@code replay-headers} says: they carry credentials or framing. */
    private static final Set<String> NEVER_REPLAYED = caseInsensitive(List.of("Set-Cookie", "Set-Cookie2", "Authorization",
            "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate", "Content-Length", "Transfer-Encoding",
            "Connection", "Keep-Alive", "Upgrade", "Trailer", "Date", "Server", REPLAYED_HEADER));

    /**
     * Never stored or replayed either: CORS headers depend on the retry's own {@code Origin} and are computed for
     * each response from the handler's CORS configuration.
     */
    private static final String NEVER_REPLAYED_PREFIX = "Access-Control-";

    /** Headers of a not-replayable response that describe the missing body, so the problem response drops them. */
    private static final Set<String> BODY_HEADERS = caseInsensitive(List.of("Content-Type", "Content-Language",
            "Content-Encoding", "Content-Disposition", "Content-Range", "ETag", "Last-Modified"));

    private final List<String> replayHeaders;
    private final Set<String> allowed;

    ResponseReplayer(List<String> configuredHeaders) {
        this.replayHeaders = configuredHeaders.stream()
                .filter(name -> !NEVER_REPLAYED.contains(name))
                .filter(name -> !name.regionMatches(true, 0, NEVER_REPLAYED_PREFIX, 0, NEVER_REPLAYED_PREFIX.length()))
                .toList();
        this.allowed = caseInsensitive(replayHeaders);
    }

    /** The allowlisted headers the handler set, in allowlist order. */
    Map<String, List<String>> replayableHeaders(HttpServletResponse response) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String name : replayHeaders) {
            List<String> values;
            if (name.equalsIgnoreCase("Content-Type")) {
                String contentType = response.getContentType();
                values = contentType == null ? List.of() : List.of(contentType);
            } else {
                values = new ArrayList<>(response.getHeaders(name));
            }
            if (!values.isEmpty()) {
                headers.put(name, values);
            }
        }
        return headers;
    }

    /** Writes a stored, replayable response. */
    void replay(HttpResult stored, HttpServletResponse response) throws IOException {
        response.setStatus(stored.status());
        writeHeaders(stored, response, Set.of());
        byte[] body = stored.body();
        response.setContentLength(body.length);
        if (body.length > 0) {
            response.getOutputStream().write(body);
        }
        response.flushBuffer();
    }

    /**
     * Answers a retry of a key whose handler ran but whose response could not be stored: the problem, with the
     * original status and reason as members and the stored headers that do not describe the missing body.
     */
    void replayNotReplayable(HttpResult stored, ProblemResponse problem, HttpServletResponse response) throws IOException {
        writeHeaders(stored, response, BODY_HEADERS);
        problem.with("originalStatus", stored.status())
                .with("reason", stored.notReplayable().name())
                .writeTo(response);
    }

    private void writeHeaders(HttpResult stored, HttpServletResponse response, Set<String> skipped) {
        stored.headers().forEach((name, values) -> {
            if (!allowed.contains(name) || skipped.contains(name) || values.isEmpty()) {
                return;
            }
            if (name.equalsIgnoreCase("Content-Type")) {
                response.setContentType(values.get(0));
                return;
            }
            response.setHeader(name, values.get(0));
            values.stream().skip(1).forEach(value -> response.addHeader(name, value));
        });
        response.setHeader(REPLAYED_HEADER, "true");
    }

    private static Set<String> caseInsensitive(List<String> names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(names);
        return set;
    }
}
