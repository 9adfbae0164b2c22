package dev.idempotency.spring.web;

import dev.idempotency.spring.IdempotencyProblem;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes an RFC 9457 {@code application/problem+json} body by hand, so the starter needs no JSON library (Boot 3
 * ships Jackson 2, Boot 4 Jackson 3).
 */
final class ProblemResponse {

    static final String MEDIA_TYPE = "application/problem+json";

    private final IdempotencyProblem problem;
    private final int status;
    private final String detail;
    private final String instance;
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    ProblemResponse(IdempotencyProblem problem, int status, String detail, String instance) {
        this.problem = problem;
        this.status = status;
        this.detail = detail;
        this.instance = instance;
    }

    /** Adds an extension member; values are strings or numbers. */
    ProblemResponse with(String name, Object value) {
        extensions.put(name, value);
        return this;
    }

    String toJson() {
        StringBuilder json = new StringBuilder(256).append('{');
        member(json, "type", problem.type().toString());
        json.append(',');
        member(json, "title", problem.title());
        json.append(",\"status\":").append(status);
        if (detail != null) {
            json.append(',');
            member(json, "detail", detail);
        }
        if (instance != null) {
            json.append(',');
            member(json, "instance", instance);
        }
        extensions.forEach((name, value) -> {
            json.append(',');
            if (value instanceof Number number) {
                appendString(json, name);
                json.append(':').append(number);
            } else {
                member(json, name, String.valueOf(value));
            }
        });
        return json.append('}').toString();
    }

    /** Resets the response buffer and writes the problem; a committed response is left alone. */
    void writeTo(HttpServletResponse response) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType(MEDIA_TYPE);
        byte[] body = toJson().getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    private static void member(StringBuilder json, String name, String value) {
        appendString(json, name);
        json.append(':');
        appendString(json, value);
    }

    static void appendString(StringBuilder json, String value) {
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                default -> {
                    // Escaping the line and paragraph separators and anything below 0x20 keeps the body safe to embed.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
