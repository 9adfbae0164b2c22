package dev.idempotency.spring.autoconfigure;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.method.IdempotentMethodAdvisor;
import dev.idempotency.spring.method.IdempotentMethodInterceptor;
import dev.idempotency.spring.method.IdempotentMethodValidator;
import dev.idempotency.spring.method.IdempotentValueSerializer;
import dev.idempotency.spring.method.Jackson2ValueSerializer;
import dev.idempotency.spring.method.Jackson3ValueSerializer;
import dev.idempotency.spring.observation.IdempotencyObservations;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.util.function.SingletonSupplier;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link Idempotent} on any Spring bean method (message listeners, scheduled jobs, services): an advisor, applied by
 * Spring AOP's infrastructure auto-proxy creator (registered here if the application has none), a startup check of
 * every annotated method, and the serializer of return values over the application's JSON mapper, Jackson 3 if
 * present, else Jackson 2.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnIdempotencyEnabled
@Import(IdempotentMethodAutoConfiguration.AutoProxyCreatorRegistrar.class)
public class IdempotentMethodAutoConfiguration {

    /**
     * Infrastructure role: the auto-proxy creator Spring Boot registers without AspectJ only applies infrastructure
     * advisors. The engine, the serializer and the observations are looked up on the first call, so that creating the advisor, which
     * happens before ordinary beans, does not create them early.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static IdempotentMethodAdvisor idempotentMethodAdvisor(ObjectProvider<IdempotencyEngine> engine,
            ObjectProvider<IdempotentValueSerializer> serializer, ObjectProvider<IdempotencyObservations> observations,
            BeanFactory beanFactory) {
        return new IdempotentMethodAdvisor(new IdempotentMethodInterceptor(engine::getObject, serializer::getIfAvailable,
                SingletonSupplier.of(() -> observations.getIfAvailable(IdempotencyObservations::noop)), beanFactory));
    }

    @Bean
    @ConditionalOnMissingBean
    public static IdempotentMethodValidator idempotentMethodValidator(ObjectProvider<IdempotentValueSerializer> serializer) {
        return new IdempotentMethodValidator(serializer::getIfAvailable);
    }

    /** Jackson 3, Spring Boot 4's JSON library: the application's {@code JsonMapper}, else a default one. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
    static class Jackson3Serializer {

        @Bean
        @ConditionalOnMissingBean
        IdempotentValueSerializer idempotentValueSerializer(ObjectProvider<JsonMapper> mapper) {
            return new Jackson3ValueSerializer(() -> mapper.getIfAvailable(() -> JsonMapper.builder().build()));
        }
    }

    /** Jackson 2, Spring Boot 3's JSON library, when Jackson 3 is absent: the application's {@code ObjectMapper}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "com.fasterxml.jackson.databind.ObjectMapper")
    @ConditionalOnMissingClass("tools.jackson.databind.json.JsonMapper")
    static class Jackson2Serializer {

        @Bean
        @ConditionalOnMissingBean
        IdempotentValueSerializer idempotentValueSerializer(ObjectProvider<ObjectMapper> mapper) {
            return new Jackson2ValueSerializer(() -> mapper.getIfAvailable(ObjectMapper::new));
        }
    }

    /**
     * Registers Spring's infrastructure auto-proxy creator unless a creator is registered already (Spring Boot's AOP
     * auto-configuration, {@code @EnableTransactionManagement}...), as {@code @EnableTransactionManagement} does.
     */
    static class AutoProxyCreatorRegistrar implements ImportBeanDefinitionRegistrar {

        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
        }
    }
}
