package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.spring.DefaultIdempotencyScopeResolver;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.PrincipalScopeResolver;
import dev.idempotency.spring.web.IdempotencyFilter;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;

/** Which scope resolver becomes the default of every principal-scoped handler, and what startup says about the rest. */
@ExtendWith(OutputCaptureExtension.class)
class DefaultScopeResolverTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotencyWebAutoConfiguration.class))
            .withPropertyValues("idempotency.purge.enabled=false");

    static final IdempotencyScopeResolver WEBHOOK = request -> "webhook:" + request.getHeader("X-Source");
    static final IdempotencyScopeResolver TENANT = request -> "tenant:" + request.getHeader("X-Tenant-Id");

    @Configuration(proxyBeanMethods = false)
    static class WebhookResolver {
        @Bean
        IdempotencyScopeResolver webhookScope() {
            return WEBHOOK;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryResolver {
        @Bean
        @Primary
        IdempotencyScopeResolver primaryScope() {
            return WEBHOOK;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class MarkedTenantResolver {
        @Bean
        @DefaultIdempotencyScopeResolver
        IdempotencyScopeResolver tenantScope() {
            return TENANT;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @DefaultIdempotencyScopeResolver
    static class MarkedResolverClass implements IdempotencyScopeResolver {
        @Override
        public String resolveScope(jakarta.servlet.http.HttpServletRequest request) {
            return "class";
        }
    }

    @RestController
    static class WebhookController {
        @PostMapping("/webhooks")
        @Idempotent(scopeResolver = "webhookScope")
        String webhook() {
            return "ok";
        }
    }

    @RestController
    static class MisspeltController {
        @PostMapping("/hooks")
        @Idempotent(scopeResolver = "webhookScop")
        String webhook() {
            return "ok";
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableWebMvc
    static class Mvc {}

    /** The default resolver the filter's scope selector was given. */
    private static IdempotencyScopeResolver defaultOf(ApplicationContext context) throws Exception {
        Field scopes = IdempotencyFilter.class.getDeclaredField("scopes");
        scopes.setAccessible(true);
        Object selector = scopes.get(context.getBean(IdempotencyFilter.class));
        Field resolver = selector.getClass().getDeclaredField("defaultResolver");
        resolver.setAccessible(true);
        return (IdempotencyScopeResolver) resolver.get(selector);
    }

    @Test
    void withoutResolverBeansTheDefaultIsThePrincipalResolver() {
        web.run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(IdempotencyScopeResolver.class);
            assertThat(defaultOf(context)).isInstanceOf(PrincipalScopeResolver.class);
        });
    }

    @Test
    void anUnmarkedResolverBeanDoesNotReplaceTheDefault() {
        web.withUserConfiguration(WebhookResolver.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeansOfType(IdempotencyScopeResolver.class)).containsKeys("webhookScope", "idempotencyScopeResolver");
            assertThat(defaultOf(context)).isInstanceOf(PrincipalScopeResolver.class);
        });
    }

    @Test
    void primaryAloneDoesNotMakeAResolverTheDefault() {
        web.withUserConfiguration(PrimaryResolver.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(defaultOf(context)).isInstanceOf(PrincipalScopeResolver.class);
        });
    }

    @Test
    void aResolverMarkedAsDefaultReplacesThePrincipalResolver() {
        web.withUserConfiguration(MarkedTenantResolver.class, WebhookResolver.class).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean("idempotencyScopeResolver");
            assertThat(defaultOf(context)).isSameAs(TENANT);
        });
        web.withUserConfiguration(MarkedResolverClass.class).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean("idempotencyScopeResolver");
            assertThat(defaultOf(context)).isInstanceOf(MarkedResolverClass.class);
        });
    }

    @Test
    void aResolverNobodyNamesAndNotMarkedIsReportedAtStartup(CapturedOutput output) {
        web.withUserConfiguration(Mvc.class, WebhookResolver.class).run(context -> assertThat(context).hasNotFailed());
        assertThat(output).contains("WARN").contains("The IdempotencyScopeResolver bean 'webhookScope' serves no handler")
                .contains("@DefaultIdempotencyScopeResolver");
    }

    @Test
    void namedAndMarkedResolversAreNotReported(CapturedOutput output) {
        web.withUserConfiguration(Mvc.class, WebhookResolver.class, MarkedTenantResolver.class)
                .withUserConfiguration(WebhookControllerConfig.class)
                .run(context -> assertThat(context).hasNotFailed());
        web.run(context -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("serves no handler");
    }

    @Configuration(proxyBeanMethods = false)
    @Import(WebhookController.class)
    static class WebhookControllerConfig {}

    @Configuration(proxyBeanMethods = false)
    @Import(MisspeltController.class)
    static class MisspeltControllerConfig {}

    @Test
    void aHandlerNamingAResolverThatDoesNotExistFailsTheStartup() {
        web.withUserConfiguration(Mvc.class, WebhookResolver.class, MisspeltControllerConfig.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure().hasStackTraceContaining("@Idempotent(scopeResolver = \"webhookScop\")")
                    .hasStackTraceContaining("MisspeltController.webhook()");
        });
    }

    @Test
    void twoResolversMarkedAsDefaultFailTheStartup() {
        web.withUserConfiguration(MarkedTenantResolver.class, MarkedResolverClass.class)
                .run(context -> assertThat(context).hasFailed());
    }
}
