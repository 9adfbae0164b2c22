package dev.idempotency.spring.autoconfigure;

import dev.idempotency.spring.DefaultIdempotencyScopeResolver;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScopeResolver;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.handler.AbstractHandlerMethodMapping;

/**
 * Checks, once the application's handler mappings are known, that the scope resolvers are wired as meant:
 * <ul>
 *   <li>a handler naming a resolver ({@code @Idempotent(scopeResolver = "name")}) that is not an
 *       {@link IdempotencyScopeResolver} bean fails the startup, instead of every request to it;</li>
 *   <li>a resolver bean that no handler names and that is not marked {@link DefaultIdempotencyScopeResolver} is
 *       reported with a WARN: it serves nobody, most likely because it was meant as the default, which since a named
 *       resolver must never become everyone's default takes the marker.</li>
 * </ul>
 */
public class ScopeResolverStartupCheck implements ApplicationListener<ContextRefreshedEvent> {

    private static final Log log = LogFactory.getLog(ScopeResolverStartupCheck.class);

    private final ApplicationContext context;

    public ScopeResolverStartupCheck(ApplicationContext context) {
        this.context = context;
    }

    @Override
    public void onApplicationEvent(ContextRefreshedEvent event) {
        if (event.getApplicationContext() != context) {
            return;
        }
        Map<String, String> namedBy = namedResolvers();
        namedBy.forEach((name, handler) -> {
            if (!context.containsBean(name) || !context.isTypeMatch(name, IdempotencyScopeResolver.class)) {
                throw new IllegalStateException("@Idempotent(scopeResolver = \"" + name + "\") on " + handler
                        + " names no IdempotencyScopeResolver bean; define a bean of that name or remove the attribute");
            }
        });
        for (String name : context.getBeanNamesForType(IdempotencyScopeResolver.class)) {
            boolean named = namedBy.containsKey(name) || Arrays.stream(context.getAliases(name)).anyMatch(namedBy::containsKey);
            if (named || context.findAnnotationOnBean(name, DefaultIdempotencyScopeResolver.class) != null) {
                continue;
            }
            log.warn("The IdempotencyScopeResolver bean '" + name + "' serves no handler: no @Idempotent handler names "
                    + "it and it is not marked @DefaultIdempotencyScopeResolver, so principal-scoped handlers keep the "
                    + "default resolver. To make it the default for every handler, annotate its @Bean method (or class) "
                    + "with @DefaultIdempotencyScopeResolver; to use it for one handler, name it there with "
                    + "@Idempotent(scopeResolver = \"" + name + "\").");
        }
    }

    /** Resolver bean names that handlers name, each with the first handler naming it. */
    private Map<String, String> namedResolvers() {
        Map<String, String> named = new LinkedHashMap<>();
        for (HandlerMapping mapping : BeanFactoryUtils.beansOfTypeIncludingAncestors(context, HandlerMapping.class, true, false).values()) {
            if (!(mapping instanceof AbstractHandlerMethodMapping<?> methods)) {
                continue;
            }
            for (HandlerMethod handler : methods.getHandlerMethods().values()) {
                Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(handler.getMethod(), Idempotent.class);
                if (annotation == null) {
                    annotation = AnnotatedElementUtils.findMergedAnnotation(handler.getBeanType(), Idempotent.class);
                }
                if (annotation != null && !annotation.scopeResolver().isEmpty()) {
                    named.putIfAbsent(annotation.scopeResolver(),
                            handler.getBeanType().getName() + "." + handler.getMethod().getName() + "()");
                }
            }
        }
        return named;
    }
}
