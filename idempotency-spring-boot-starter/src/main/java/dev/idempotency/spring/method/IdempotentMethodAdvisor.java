package dev.idempotency.spring.method;

import dev.idempotency.spring.Idempotent;
import java.lang.reflect.Method;
import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.StaticMethodMatcherPointcutAdvisor;
import org.springframework.core.Ordered;

/**
 * Applies {@link IdempotentMethodInterceptor} to every bean method whose {@link Idempotent} names a key. Spring MVC
 * handler methods are left to the servlet filter.
 *
 * <p>Its order, {@link #DEFAULT_ORDER}, puts the claim outside a {@code @Transactional} method's transaction (whose
 * advisor has the lowest precedence by default): the key is stored only after the transaction committed, and a
 * failing commit releases it.
 */
public class IdempotentMethodAdvisor extends StaticMethodMatcherPointcutAdvisor {

    /** Runs before (outside) advice of the default, lowest precedence, such as transactions. */
    public static final int DEFAULT_ORDER = Ordered.LOWEST_PRECEDENCE - 1000;

    public IdempotentMethodAdvisor(MethodInterceptor interceptor) {
        super(interceptor);
        setOrder(DEFAULT_ORDER);
    }

    @Override
    public boolean matches(Method method, Class<?> targetClass) {
        Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
        return IdempotentMethodDefinition.beanMethodAnnotation(specific) != null;
    }
}
