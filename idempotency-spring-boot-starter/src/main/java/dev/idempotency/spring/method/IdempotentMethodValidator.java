package dev.idempotency.spring.method;

import dev.idempotency.spring.Idempotent;
import java.util.function.Supplier;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Checks every {@link Idempotent} of each bean as the bean is created, so a misuse fails the startup with a message
 * that names the method, before a listener container or scheduler calls it: a bean method without a key, a handler
 * method with one, an unparsable expression or duration, a method the proxy cannot intercept, an asynchronous return
 * type, or a return value with no JSON mapper to store it.
 */
public class IdempotentMethodValidator implements BeanPostProcessor {

    private final Supplier<IdempotentValueSerializer> serializer;

    /** @param serializer looked up only for a bean with an {@link Idempotent} method that returns a value */
    public IdempotentMethodValidator(Supplier<IdempotentValueSerializer> serializer) {
        this.serializer = serializer;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> beanClass = ClassUtils.getUserClass(AopUtils.getTargetClass(bean));
        if (!AnnotationUtils.isCandidateClass(beanClass, Idempotent.class)) {
            return bean;
        }
        try {
            IdempotentMethodDefinition.checkBeanClass(beanClass);
            ReflectionUtils.doWithMethods(beanClass, method -> {
                IdempotentMethodDefinition definition = IdempotentMethodDefinition.inspect(method, beanClass);
                if (definition != null && !definition.returnsNothing() && serializer.get() == null) {
                    throw new IllegalStateException("@Idempotent on " + beanClass.getName() + "." + method.getName()
                            + "() returns a value, which is stored as JSON, but no JSON mapper is on the classpath: add "
                            + "Jackson, define an IdempotentValueSerializer bean, or make the method void");
                }
            }, method -> !method.isBridge() && !method.isSynthetic());
        } catch (IllegalStateException e) {
            throw new BeanCreationException(beanName, e.getMessage(), e);
        }
        return bean;
    }
}
