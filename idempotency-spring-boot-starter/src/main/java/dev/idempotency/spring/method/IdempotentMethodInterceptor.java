package dev.idempotency.spring.method;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.IdempotentWorkException;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodec;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.WorkContext;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.spring.Idempotent;
import java.lang.reflect.Method;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;
import org.springframework.util.ClassUtils;

/**
 * Runs an {@link Idempotent} bean method through {@link IdempotencyEngine#execute}:
 * <ol>
 *   <li>evaluates the key, the scope and the fingerprint over the call's arguments; a failing expression or an
 *       unusable key throws {@link IllegalArgumentException} and the method does not run;</li>
 *   <li>runs the method if the key is claimed, with its claim bound to {@link IdempotentMethodContext}, and stores
 *       its return value; an exception from the method releases the key and propagates unchanged;</li>
 *   <li>returns the stored value for a completed duplicate without running the method; throws
 *       {@link IdempotencyInProgressException} for a duplicate still running after the
 *       {@linkplain Idempotent#inFlightWait() wait}, and {@link IdempotencyKeyReusedException} for a key used with
 *       another fingerprint.</li>
 * </ol>
 * A store failure while claiming propagates as the engine's {@code IdempotencyStoreException}, and the method does not
 * run: a listener container then redelivers the message.
 */
public class IdempotentMethodInterceptor implements MethodInterceptor {

    private static final ParameterNameDiscoverer PARAMETER_NAMES = new DefaultParameterNameDiscoverer();
    private static final int NON_HTTP_STATUS = 0;

    private final Supplier<IdempotencyEngine> engine;
    private final Supplier<IdempotentValueSerializer> serializer;
    private final BeanFactory beanFactory;
    private final Map<MethodOnClass, IdempotentMethodDefinition> definitions = new ConcurrentHashMap<>();

    /**
     * @param engine looked up on the first call, so that the interceptor can be created before the engine's store
     * @param serializer looked up on the first call that stores or fingerprints a value; may supply {@code null}
     *     when no JSON mapper is on the classpath
     * @param beanFactory resolves {@code @beanName} references in expressions; may be {@code null}
     */
    public IdempotentMethodInterceptor(Supplier<IdempotencyEngine> engine, Supplier<IdempotentValueSerializer> serializer,
            BeanFactory beanFactory) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.serializer = Objects.requireNonNull(serializer, "serializer");
        this.beanFactory = beanFactory;
    }

    private record MethodOnClass(Method method, Class<?> targetClass) {}

    /**
     * The root object of the expressions, besides the arguments as variables: {@code #root.target} is the bean,
     * {@code #root.methodName} the method's name and {@code #root.args} the arguments.
     */
    public static final class ExpressionRoot {

        private final Object target;
        private final String methodName;
        private final Object[] args;

        ExpressionRoot(Object target, String methodName, Object[] args) {
            this.target = target;
            this.methodName = methodName;
            this.args = args;
        }

        public Object getTarget() {
            return target;
        }

        public String getMethodName() {
            return methodName;
        }

        public Object[] getArgs() {
            return args;
        }
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Class<?> targetClass = target == null ? invocation.getMethod().getDeclaringClass() : AopUtils.getTargetClass(target);
        IdempotentMethodDefinition definition = definitions.computeIfAbsent(
                new MethodOnClass(invocation.getMethod(), targetClass), IdempotentMethodInterceptor::define);
        if (definition == null) {
            return invocation.proceed();
        }
        Object[] args = invocation.getArguments();
        MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(
                new ExpressionRoot(target, definition.method().getName(), args), definition.method(), args, PARAMETER_NAMES);
        if (beanFactory != null) {
            context.setBeanResolver(new BeanFactoryResolver(beanFactory));
        }
        IdempotencyKey key = key(definition, context);
        IdempotentRequest request = new IdempotentRequest(key, fingerprint(definition, context), definition.ttl(),
                definition.inFlightWait());
        ResultCodec<Object> codec = codec(definition);
        Throwable[] checkedFailure = new Throwable[1];
        IdempotencyOutcome<Object> outcome;
        try {
            outcome = engine.get().execute(request, codec, claim -> proceed(invocation, claim, checkedFailure));
        } catch (IdempotentWorkException e) {
            if (checkedFailure[0] != null && e.getCause() == checkedFailure[0]) {
                throw checkedFailure[0];
            }
            throw e;
        }
        if (outcome instanceof IdempotencyOutcome.Executed<Object> executed) {
            return executed.result();
        }
        if (outcome instanceof IdempotencyOutcome.Replayed<Object> replayed) {
            return replayed.result();
        }
        if (outcome instanceof IdempotencyOutcome.InProgress<Object> inProgress) {
            throw new IdempotencyInProgressException(key, inProgress.retryAfter());
        }
        throw new IdempotencyKeyReusedException(key);
    }

    private static IdempotentMethodDefinition define(MethodOnClass call) {
        Method specific = AopUtils.getMostSpecificMethod(call.method(), call.targetClass());
        return IdempotentMethodDefinition.inspect(specific, call.targetClass());
    }

    private static Object proceed(MethodInvocation invocation, WorkContext claim, Throwable[] checkedFailure) throws Exception {
        WorkContext previous = IdempotentMethodContext.bind(claim);
        try {
            return invocation.proceed();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            checkedFailure[0] = e;
            throw e;
        } catch (Throwable e) {
            throw new UndeclaredThrowableException(e);
        } finally {
            IdempotentMethodContext.restore(previous);
        }
    }

    private static IdempotencyKey key(IdempotentMethodDefinition definition, MethodBasedEvaluationContext context) {
        Object key = evaluate(definition.key(), context, definition, "key");
        if (key == null || key.toString().isEmpty()) {
            throw new IllegalArgumentException("@Idempotent(key = \"" + definition.key().getExpressionString() + "\") on "
                    + where(definition) + " gave " + (key == null ? "null" : "an empty string") + "; the method did not run");
        }
        String scope = definition.scope() == null ? definition.defaultScope()
                : String.valueOf(evaluate(definition.scope(), context, definition, "keyScope"));
        try {
            return IdempotencyKey.of(scope, key.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("@Idempotent on " + where(definition) + ": " + e.getMessage()
                    + "; the method did not run", e);
        }
    }

    private RequestFingerprint fingerprint(IdempotentMethodDefinition definition, MethodBasedEvaluationContext context) {
        if (definition.fingerprint() == null) {
            // The key alone decides: every call with it is a duplicate.
            return RequestFingerprint.of();
        }
        Object value = evaluate(definition.fingerprint(), context, definition, "fingerprint");
        return RequestFingerprint.builder().add(fingerprintBytes(value)).build();
    }

    private byte @Nullable [] fingerprintBytes(@Nullable Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        if (value instanceof CharSequence || value instanceof Number || value instanceof Boolean || value instanceof Enum<?>) {
            return value.toString().getBytes(StandardCharsets.UTF_8);
        }
        IdempotentValueSerializer json = serializer.get();
        return json == null ? value.toString().getBytes(StandardCharsets.UTF_8) : json.serialize(value);
    }

    private ResultCodec<Object> codec(IdempotentMethodDefinition definition) {
        if (definition.returnsNothing()) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            ResultCodec<Object> none = (ResultCodec) ResultCodecs.none();
            return none;
        }
        IdempotentValueSerializer json = serializer.get();
        if (json == null) {
            throw new IllegalStateException("@Idempotent on " + where(definition) + " returns a value, which is stored as "
                    + "JSON, but no JSON mapper is on the classpath: add Jackson, define an IdempotentValueSerializer bean, "
                    + "or make the method void");
        }
        return new ResultCodec<>() {
            @Override
            public StoredResponse encode(Object result) {
                return new StoredResponse(NON_HTTP_STATUS, Map.of(), json.serialize(result));
            }

            @Override
            public Object decode(StoredResponse stored) {
                return json.deserialize(stored.body(), definition.returnType());
            }
        };
    }

    private static Object evaluate(Expression expression, MethodBasedEvaluationContext context,
            IdempotentMethodDefinition definition, String attribute) {
        try {
            return expression.getValue(context);
        } catch (EvaluationException e) {
            throw new IllegalArgumentException("@Idempotent(" + attribute + " = \"" + expression.getExpressionString()
                    + "\") on " + where(definition) + " could not be evaluated: " + e.getMessage()
                    + "; the method did not run", e);
        }
    }

    private static String where(IdempotentMethodDefinition definition) {
        return ClassUtils.getQualifiedMethodName(definition.method()) + "()";
    }
}
