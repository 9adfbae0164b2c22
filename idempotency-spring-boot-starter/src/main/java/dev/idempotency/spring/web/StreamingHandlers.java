package dev.idempotency.spring.web;

import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Locale;

/**
 * Which handlers stream their body as they write it, so their responses go to the client at once and are never held
 * back for storing: the handler's declared return type, or the response's media type.
 */
final class StreamingHandlers {

    private StreamingHandlers() {}

    /**
     * Whether the handler streams its body: it returns an emitter or a streaming body (possibly in a
     * {@code ResponseEntity}), or its response is an event stream.
     */
    static boolean isStreaming(Method handler, String contentType) {
        if (contentType != null) {
            String mediaType = contentType.toLowerCase(Locale.ROOT);
            if (mediaType.startsWith("text/event-stream") || mediaType.startsWith("application/x-ndjson")
                    || mediaType.startsWith("application/stream+json")) {
                return true;
            }
        }
        if (handler == null) {
            return false;
        }
        Class<?> type = handler.getReturnType();
        Type generic = handler.getGenericReturnType();
        if (type.getName().equals("org.springframework.http.ResponseEntity") && generic instanceof ParameterizedType parameterized
                && parameterized.getActualTypeArguments()[0] instanceof Class<?> body) {
            type = body;
        }
        return isStreamingType(type);
    }

    private static boolean isStreamingType(Class<?> type) {
        for (Class<?> current = type; current != null; current = current.getSuperclass()) {
            String name = current.getName();
            if (name.equals("org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter")
                    || name.equals("reactor.core.publisher.Flux")) {
                return true;
            }
        }
        for (Class<?> implemented : type.getInterfaces()) {
            if (implemented.getName().equals("org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody")) {
                return true;
            }
        }
        return type.getName().equals("org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody");
    }
}
