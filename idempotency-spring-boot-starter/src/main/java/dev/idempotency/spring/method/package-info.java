/**
 * {@code @Idempotent(key = ...)} on any Spring bean method: {@link dev.idempotency.spring.method.IdempotentMethodAdvisor}
 * applies {@link dev.idempotency.spring.method.IdempotentMethodInterceptor}, which runs the method through the engine
 * once per key and stores its return value with an {@link dev.idempotency.spring.method.IdempotentValueSerializer}
 * (Jackson 3 or Jackson 2, whichever the application has).
 */
@NullMarked
package dev.idempotency.spring.method;

import org.jspecify.annotations.NullMarked;
