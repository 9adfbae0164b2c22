package dev.idempotency.spring.method;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotentMethodAutoConfiguration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** A misused {@link Idempotent} fails the startup with a message that names the method and the way out. */
class IdempotentMethodStartupTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotentMethodAutoConfiguration.class));

    public static class WithoutKey {
        @Idempotent
        public void ship(String id) {}
    }

    @RestController
    public static class HandlerWithKey {
        @PostMapping("/ship")
        @Idempotent(key = "#id")
        public void ship(String id) {}
    }

    @RestController
    public static class HandlerWithInFlightWait {
        @PostMapping("/ship")
        @Idempotent(inFlightWait = "5s")
        public void ship(String id) {}
    }

    @RestController
    @Idempotent(ttl = "1h")
    public static class AnnotatedController {
        @PostMapping("/ship")
        public void ship(String id) {}
    }

    @RestController
    public static class AnnotatedHandler {
        @PostMapping("/ship")
        @Idempotent(ttl = "1h")
        public void ship(String id) {}
    }

    @Idempotent
    public static class AnnotatedService {
        public void ship(String id) {}
    }

    public static class UnparsableKey {
        @Idempotent(key = "#event.")
        public void ship(Object event) {}
    }

    public static class UnparsableScope {
        @Idempotent(key = "#id", keyScope = "tenant:#{#id")
        public void ship(String id) {}
    }

    public static class BadTtl {
        @Idempotent(key = "#id", ttl = "forever")
        public void ship(String id) {}
    }

    public static class NegativeWait {
        @Idempotent(key = "#id", inFlightWait = "-5s")
        public void ship(String id) {}
    }

    public static class WebOnlyAttribute {
        @Idempotent(key = "#id", scope = IdempotencyScope.GLOBAL)
        public void ship(String id) {}
    }

    public static class Asynchronous {
        @Idempotent(key = "#id")
        public CompletableFuture<String> ship(String id) {
            return CompletableFuture.completedFuture(id);
        }
    }

    public static class FinalMethod {
        @Idempotent(key = "#id")
        public final void ship(String id) {}
    }

    public static class ReturnsAValue {
        @Idempotent(key = "#id")
        public String ship(String id) {
            return id;
        }
    }

    @Test
    void aBeanMethodWithoutAKey() {
        assertStartupFails(WithoutKey.class, WithoutKey.class.getName() + ".ship() needs a key",
                "@Idempotent(key = \"#event.id\")");
    }

    @Test
    void aHandlerMethodWithAKey() {
        assertStartupFails(HandlerWithKey.class, "on the handler method " + HandlerWithKey.class.getName() + ".ship()",
                "takes its key from the Idempotency-Key request header");
    }

    @Test
    void aHandlerMethodWithABeanMethodAttribute() {
        assertStartupFails(HandlerWithInFlightWait.class, "@Idempotent(inFlightWait = \"5s\")",
                "applies to bean methods with a key only");
    }

    @Test
    void handlerMethodsAreLeftToTheServletFilterAndNotProxied() {
        runner.withBean(AnnotatedController.class).withBean(AnnotatedHandler.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(AopUtils.isAopProxy(context.getBean(AnnotatedController.class))).isFalse();
            assertThat(AopUtils.isAopProxy(context.getBean(AnnotatedHandler.class))).isFalse();
        });
    }

    @Test
    void anAnnotatedClassThatIsNotAController() {
        assertStartupFails(AnnotatedService.class, "which is not a controller", "Annotate each method");
    }

    @Test
    void unparsableExpressions() {
        assertStartupFails(UnparsableKey.class, "Invalid @Idempotent(key = \"#event.\")", UnparsableKey.class.getName());
        assertStartupFails(UnparsableScope.class, "Invalid @Idempotent(keyScope = \"tenant:#{#id\")", "ship()");
    }

    @Test
    void unparsableOrNegativeDurations() {
        assertStartupFails(BadTtl.class, "Invalid @Idempotent(ttl = \"forever\")", "not a duration");
        assertStartupFails(NegativeWait.class, "Invalid @Idempotent(inFlightWait = \"-5s\")", "must be positive");
    }

    @Test
    void aHandlerOnlyAttributeOnABeanMethod() {
        assertStartupFails(WebOnlyAttribute.class, "@Idempotent(scope = ...)", "applies to Spring MVC handler methods only");
    }

    @Test
    void anAsynchronousReturnType() {
        assertStartupFails(Asynchronous.class, "which returns java.util.concurrent.CompletableFuture", "settle too early");
    }

    @Test
    void aMethodTheProxyCannotIntercept() {
        assertStartupFails(FinalMethod.class, "static, private or final", "would not be protected");
    }

    @Test
    void aReturnValueWithoutAJsonMapper() {
        runner.withBean(ReturnsAValue.class)
                .withClassLoader(new FilteredClassLoader("tools.jackson", "com.fasterxml.jackson"))
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasMessageContaining("no JSON mapper is on the classpath"));
    }

    private void assertStartupFails(Class<?> beanClass, String... messageParts) {
        runner.withBean(beanClass).run(context -> assertThat(context).hasFailed().getFailure()
                .isInstanceOf(BeanCreationException.class)
                .message().contains(messageParts));
    }
}
