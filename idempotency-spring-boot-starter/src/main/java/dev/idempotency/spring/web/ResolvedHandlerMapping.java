package dev.idempotency.spring.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Hands the {@code DispatcherServlet} the handler that {@link IdempotentHandlerResolver} already looked up for this
 * request, so that the application's handler mappings are asked once per request and not twice (the filter has to
 * know the handler before it decides; the dispatcher would otherwise search again).
 *
 * <p>It runs first among the handler mappings and answers only the dispatch the lookup was made for: the original
 * {@code REQUEST} dispatch of the same method and URI, once. Forwards, includes, error and asynchronous dispatches,
 * and a request a later filter rewrote, fall through to the application's mappings as usual. What the mapping wrote
 * into the request attributes during the lookup (the matched pattern, path variables, producible media types) is
 * written into the real request, as the mapping itself would have done.
 */
public final class ResolvedHandlerMapping implements HandlerMapping, Ordered {

    /** Request attribute holding the {@link Resolved} lookup until the dispatcher takes it. */
    static final String ATTRIBUTE = ResolvedHandlerMapping.class.getName() + ".RESOLVED";

    /**
     * One lookup: the chain the application's mapping returned, the attributes it set and removed, and the request
     * it was made for.
     */
    record Resolved(HandlerExecutionChain chain, Map<String, Object> attributes, Set<String> removed, String method,
            String requestUri) {}

    @Override
    public HandlerExecutionChain getHandler(HttpServletRequest request) {
        if (request.getDispatcherType() != DispatcherType.REQUEST || !(request.getAttribute(ATTRIBUTE) instanceof Resolved resolved)) {
            return null;
        }
        request.removeAttribute(ATTRIBUTE);
        if (!resolved.method().equals(request.getMethod()) || !resolved.requestUri().equals(request.getRequestURI())) {
            return null;
        }
        for (String name : resolved.removed()) {
            request.removeAttribute(name);
        }
        resolved.attributes().forEach((name, value) -> {
            // The dispatcher parsed and cached the path itself, and restores it when the dispatch ends.
            if (!ServletRequestPathUtils.PATH_ATTRIBUTE.equals(name)) {
                request.setAttribute(name, value);
            }
        });
        return resolved.chain();
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
