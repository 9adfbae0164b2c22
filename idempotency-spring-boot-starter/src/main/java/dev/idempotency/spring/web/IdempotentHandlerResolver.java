package dev.idempotency.spring.web;

import dev.idempotency.spring.Idempotent;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.context.ApplicationContext;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Finds, for a request, the handler method Spring MVC will dispatch it to, its {@link Idempotent} annotation and the
 * route pattern that matched. It asks the application's own {@link HandlerMapping}s in their order, as the
 * {@code DispatcherServlet} will, so the decision follows the real routing rather than a URL pattern list.
 *
 * <p>Lookups run on a view of the request with private attributes: the mappings record matched patterns and path
 * variables as request attributes, and those must not leak into the real dispatch.
 */
public class IdempotentHandlerResolver {

    /** The outcome of a lookup. */
    public record Resolution(Idempotent annotation, String pattern) {

        static final Resolution NONE = new Resolution(null, null);
    }

    private final ApplicationContext context;
    /**
     * Keyed by the bean type and the method, not by the {@link HandlerMethod}: the handler method of a prototype- or
     * request-scoped controller carries a new bean instance on every request, and would add an entry each time.
     */
    private final Map<HandlerKey, Optional<Idempotent>> annotations = new ConcurrentHashMap<>();
    private volatile List<HandlerMapping> mappings;

    public IdempotentHandlerResolver(ApplicationContext context) {
        this.context = context;
    }

    /** Looks the handler up; never throws, a request no mapping accepts resolves to no annotation. */
    public Resolution resolve(HttpServletRequest request) {
        PrivateAttributesRequest probe = new PrivateAttributesRequest(request);
        try {
            ServletRequestPathUtils.parseAndCache(probe);
        } catch (RuntimeException e) {
            return Resolution.NONE;
        }
        for (HandlerMapping mapping : mappings()) {
            HandlerExecutionChain chain;
            try {
                chain = mapping.getHandler(probe);
            } catch (Exception e) {
                // The dispatcher would answer with an error (405, 406, 415...), so no handler runs.
                return Resolution.NONE;
            }
            if (chain == null) {
                continue;
            }
            Object pattern = probe.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            if (chain.getHandler() instanceof HandlerMethod handlerMethod) {
                Optional<Idempotent> annotation = annotations.computeIfAbsent(
                        new HandlerKey(handlerMethod.getBeanType(), handlerMethod.getMethod()), IdempotentHandlerResolver::findAnnotation);
                return new Resolution(annotation.orElse(null), pattern == null ? null : pattern.toString());
            }
            return new Resolution(null, pattern == null ? null : pattern.toString());
        }
        return Resolution.NONE;
    }

    private record HandlerKey(Class<?> beanType, Method method) {}

    private static Optional<Idempotent> findAnnotation(HandlerKey handler) {
        Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(handler.method(), Idempotent.class);
        if (annotation == null) {
            annotation = AnnotatedElementUtils.findMergedAnnotation(handler.beanType(), Idempotent.class);
        }
        return Optional.ofNullable(annotation);
    }

    private List<HandlerMapping> mappings() {
        List<HandlerMapping> result = mappings;
        if (result == null) {
            result = new ArrayList<>(BeanFactoryUtils.beansOfTypeIncludingAncestors(context, HandlerMapping.class, true, false).values());
            AnnotationAwareOrderComparator.sort(result);
            mappings = result;
        }
        return result;
    }

    /** A view of the request whose attribute writes stay private; reads fall back to the real request. */
    private static final class PrivateAttributesRequest extends HttpServletRequestWrapper {

        private final Map<String, Object> attributes = new HashMap<>();
        private final Set<String> removed = new HashSet<>();

        PrivateAttributesRequest(HttpServletRequest request) {
            super(request);
        }

        @Override
        public Object getAttribute(String name) {
            if (attributes.containsKey(name)) {
                return attributes.get(name);
            }
            return removed.contains(name) ? null : super.getAttribute(name);
        }

        @Override
        public Enumeration<String> getAttributeNames() {
            Set<String> names = new HashSet<>(Collections.list(super.getAttributeNames()));
            names.removeAll(removed);
            names.addAll(attributes.keySet());
            return Collections.enumeration(names);
        }

        @Override
        public void setAttribute(String name, Object value) {
            if (value == null) {
                removeAttribute(name);
                return;
            }
            removed.remove(name);
            attributes.put(name, value);
        }

        @Override
        public void removeAttribute(String name) {
            attributes.remove(name);
            removed.add(name);
        }
    }
}
