package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.spring.DefaultIdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyWebListener;
import dev.idempotency.spring.PrincipalScopeResolver;
import dev.idempotency.spring.observation.IdempotencyObservations;
import dev.idempotency.spring.web.AsyncWorkInterceptor;
import dev.idempotency.spring.web.IdempotencyContextArgumentResolver;
import dev.idempotency.spring.web.IdempotencyFilter;
import dev.idempotency.spring.web.IdempotentHandlerResolver;
import dev.idempotency.spring.web.ResolvedHandlerMapping;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The {@code Idempotency-Key} servlet filter for Spring MVC, with the default scope resolver (the authenticated
 * caller's identity, replaced only by a bean marked {@link DefaultIdempotencyScopeResolver}) and the handler lookup. The filter is a plain {@code Filter} bean, so Boot registers it with the
 * servlet container at {@code idempotency.filter-order} (just after Spring Security by default).
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnIdempotencyEnabled
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({OncePerRequestFilter.class, HandlerMapping.class})
@ConditionalOnBean(IdempotencyEngine.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyWebAutoConfiguration {

    /**
     * The default scope resolver, unless the application marks its own with {@link DefaultIdempotencyScopeResolver}.
     * Any other resolver bean is only for the handlers that name it: backing off to every bean of the type would let a
     * resolver written for one handler decide whose keys every other handler shares.
     */
    @Bean
    @DefaultIdempotencyScopeResolver
    @ConditionalOnMissingBean(annotation = DefaultIdempotencyScopeResolver.class)
    public IdempotencyScopeResolver idempotencyScopeResolver() {
        return new PrincipalScopeResolver();
    }

    @Bean
    @ConditionalOnMissingBean
    public ScopeResolverStartupCheck idempotencyScopeResolverStartupCheck(ApplicationContext context) {
        return new ScopeResolverStartupCheck(context);
    }

    @Bean
    @ConditionalOnMissingBean
    public IdempotentHandlerResolver idempotentHandlerResolver(ApplicationContext context) {
        return new IdempotentHandlerResolver(context);
    }

    /** Lets the dispatcher take the filter's handler lookup instead of repeating it. */
    @Bean
    @ConditionalOnMissingBean
    public ResolvedHandlerMapping idempotencyResolvedHandlerMapping() {
        return new ResolvedHandlerMapping();
    }

    /** Tells the filter when a {@code Callable} handler's work really ends, which may be after its request timed out. */
    @Bean
    @ConditionalOnMissingBean
    public AsyncWorkInterceptor idempotencyAsyncWorkInterceptor() {
        return new AsyncWorkInterceptor();
    }

    @Bean
    @ConditionalOnMissingBean(name = "idempotencyAsyncSupportConfigurer")
    public WebMvcConfigurer idempotencyAsyncSupportConfigurer(AsyncWorkInterceptor asyncWorkInterceptor) {
        return new WebMvcConfigurer() {
            @Override
            public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
                configurer.registerCallableInterceptors(asyncWorkInterceptor);
            }
        };
    }

    @Bean
    @ConditionalOnMissingBean
    public IdempotencyContextArgumentResolver idempotencyContextArgumentResolver() {
        return new IdempotencyContextArgumentResolver();
    }

    /** Lets an {@code @Idempotent} handler method declare an {@code IdempotencyContext} parameter. */
    @Bean
    @ConditionalOnMissingBean(name = "idempotencyContextArgumentConfigurer")
    public WebMvcConfigurer idempotencyContextArgumentConfigurer(IdempotencyContextArgumentResolver resolver) {
        return new WebMvcConfigurer() {
            @Override
            public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
                resolvers.add(resolver);
            }
        };
    }

    @Bean
    @ConditionalOnMissingBean
    public IdempotencyFilter idempotencyFilter(IdempotencyEngine engine, IdempotencyProperties properties,
            IdempotentHandlerResolver handlerResolver, @DefaultIdempotencyScopeResolver IdempotencyScopeResolver scopeResolver,
            ObjectProvider<IdempotencyWebListener> listeners, ObjectProvider<IdempotencyObservations> observations,
            ApplicationContext context) {
        return new IdempotencyFilter(engine, properties, handlerResolver, scopeResolver,
                name -> context.getBean(name, IdempotencyScopeResolver.class), listeners.orderedStream().toList(),
                observations.getIfAvailable(IdempotencyObservations::noop));
    }
}
