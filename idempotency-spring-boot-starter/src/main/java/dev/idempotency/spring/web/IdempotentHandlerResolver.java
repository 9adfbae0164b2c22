package dev.idempotency.spring.web;

import dev.idempotency.spring.Idempotent;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.CorsConfigurationSource;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.handler.AbstractHandlerMethodMapping;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Finds, for a request, the handler method Spring MVC will dispatch it to, its {@link Idempotent} annotation and the
 * route pattern that matched. It asks the application's own {@link HandlerMapping}s in their order, as the
 * {@code DispatcherServlet} will, so the decision follows the real routing rather than a URL pattern list.
 *
 * <p>Lookups run on a view of the request with private attributes: the mappings record matched patterns and path
 * variables as request attributes, and those must not leak into a dispatch that may go elsewhere. The lookup is left
 * on the request for {@link ResolvedHandlerMapping}, which hands it to the {@code DispatcherServlet} with those
 * attributes when the dispatch is the one it was made for.
 */
public class IdempotentHandlerResolver implements ApplicationListener<ContextRefreshedEvent> {

    /**
     * The outcome of a lookup.
     *
     * @param annotation the handler's {@link Idempotent}, or {@code null}
     * @param pattern the best matching route pattern, or {@code null}
     * @param handler the handler method, or {@code null} when the handler is not a {@link HandlerMethod}
     * @param ttl the parsed {@link Idempotent#ttl()}, or {@code null} for the default
     * @param cors the CORS configuration Spring MVC would apply to this request ({@code @CrossOrigin},
     *        {@code addCorsMappings}), or {@code null}
     */
    public record Resolution(@Nullable Idempotent annotation, @Nullable String pattern, @Nullable Method handler,
            @Nullable Duration ttl, @Nullable CorsConfiguration cors) {

        static final Resolution NONE = new Resolution(null, null, null, null, null);
    }

    /** What the resolver knows about one handler method, computed once. */
    private record HandlerInfo(Idempotent annotation, Duration ttl) {}

    private final ApplicationContext context;
    /**
     * Keyed by the bean type and the method, not by the {@link HandlerMethod}: the handler method of a prototype- or
     * request-scoped controller carries a new bean instance on every request, and would add an entry each time.
     */
    private final Map<HandlerKey, HandlerInfo> annotations = new ConcurrentHashMap<>();
    private volatile List<HandlerMapping> mappings;

    public IdempotentHandlerResolver(ApplicationContext context) {
        this.context = context;
    }

    /**
     * Looks the handler up. A request no mapping accepts resolves to no annotation. Throws
     * {@link IllegalStateException} only for a handler whose {@link Idempotent} is invalid (which also fails the
     * application's startup, see {@link #onApplicationEvent}).
     */
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
            // The dispatcher takes this lookup instead of repeating it (ResolvedHandlerMapping).
            request.setAttribute(ResolvedHandlerMapping.ATTRIBUTE, new ResolvedHandlerMapping.Resolved(chain,
                    probe.attributes, probe.removed, request.getMethod(), request.getRequestURI()));
            Object pattern = probe.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            if (chain.getHandler() instanceof HandlerMethod handlerMethod) {
                HandlerInfo info = annotations.computeIfAbsent(
                        new HandlerKey(handlerMethod.getBeanType(), handlerMethod.getMethod()), IdempotentHandlerResolver::inspect);
                return new Resolution(info.annotation(), pattern == null ? null : pattern.toString(), handlerMethod.getMethod(),
                        info.ttl(), info.annotation() == null ? null : cors(chain, probe));
            }
            return new Resolution(null, pattern == null ? null : pattern.toString(), null, null, null);
        }
        return Resolution.NONE;
    }

    private static final HandlerInfo NOT_IDEMPOTENT = new HandlerInfo(null, null);

    private record HandlerKey(Class<?> beanType, Method method) {}

    /** The CORS configuration of the interceptor Spring MVC's handler mapping added to the chain, if any. */
    private static CorsConfiguration cors(HandlerExecutionChain chain, HttpServletRequest request) {
        for (HandlerInterceptor interceptor : chain.getInterceptorList()) {
            if (interceptor instanceof CorsConfigurationSource source) {
                try {
                    return source.getCorsConfiguration(request);
                } catch (RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * Validates every {@link Idempotent} handler method the application's handler mappings know when the context
     * starts, so that an invalid annotation fails the startup instead of every request to it.
     */
    @Override
    public void onApplicationEvent(ContextRefreshedEvent event) {
        if (event.getApplicationContext() != context) {
            return;
        }
        for (HandlerMapping mapping : mappings()) {
            if (mapping instanceof AbstractHandlerMethodMapping<?> methods) {
                for (HandlerMethod handlerMethod : methods.getHandlerMethods().values()) {
                    annotations.computeIfAbsent(new HandlerKey(handlerMethod.getBeanType(), handlerMethod.getMethod()),
                            IdempotentHandlerResolver::inspect);
                }
            }
        }
    }

    private static HandlerInfo inspect(HandlerKey handler) {
        Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(handler.method(), Idempotent.class);
        if (annotation == null) {
            annotation = AnnotatedElementUtils.findMergedAnnotation(handler.beanType(), Idempotent.class);
        }
        if (annotation == null) {
            for (int i = 0; i < handler.method().getParameterCount(); i++) {
                if (IdempotencyContextArgumentResolver.declaresContext(new MethodParameter(handler.method(), i))) {
                    throw new IllegalStateException(handler.beanType().getName() + "." + handler.method().getName()
                            + "() declares an IdempotencyContext parameter but is not @Idempotent: no key is ever claimed "
                            + "for it. Annotate the method (or its controller) with @Idempotent, or remove the parameter");
                }
            }
            return NOT_IDEMPOTENT;
        }
        for (String header : annotation.fingerprintHeaders()) {
            if (header.isBlank()) {
                throw new IllegalStateException("Invalid @Idempotent(fingerprintHeaders) on " + handler.beanType().getName()
                        + "." + handler.method().getName() + "(): a header name is blank");
            }
        }
        return new HandlerInfo(annotation, ttl(annotation, handler));
    }

    private static Duration ttl(Idempotent annotation, HandlerKey handler) {
        if (annotation.ttl().isEmpty()) {
            return null;
        }
        Duration ttl;
        try {
            ttl = DurationStyle.detectAndParse(annotation.ttl());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(invalidTtl(annotation, handler)
                    + ": not a duration; use a value such as \"10m\", \"48h\" or \"PT2H\"", e);
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalStateException(invalidTtl(annotation, handler) + ": the TTL must be positive");
        }
        return ttl;
    }

    private static String invalidTtl(Idempotent annotation, HandlerKey handler) {
        return "Invalid @Idempotent(ttl = \"" + annotation.ttl() + "\") on " + handler.beanType().getName() + "."
                + handler.method().getName() + "()";
    }

    private List<HandlerMapping> mappings() {
        List<HandlerMapping> result = mappings;
        if (result == null) {
            result = new ArrayList<>(BeanFactoryUtils.beansOfTypeIncludingAncestors(context, HandlerMapping.class, true, false).values());
            result.removeIf(ResolvedHandlerMapping.class::isInstance);
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
