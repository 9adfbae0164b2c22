package dev.idempotency.spring.method;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyClaim;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyEngineClosedException;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodec;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.WorkContext;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.observation.IdempotencyObservations;
import dev.idempotency.spring.observation.IdempotencyObservations.ClaimObservation;
import dev.idempotency.spring.observation.IdempotencyObservations.ClaimOutcome;
import dev.idempotency.spring.observation.IdempotencyObservations.CompletionOutcome;
import dev.idempotency.spring.observation.IdempotencyObservations.RunObservation;
import dev.idempotency.spring.observation.LogContext;
import io.micrometer.observation.Observation;
import java.lang.reflect.Method;
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
 *
 * <p>Each call is observed as an HTTP request is ({@link IdempotencyObservations}: the claim, the method's run and the
 * completion, with the same tags), and the key's hash and the claim's outcome are in the MDC while the method runs
 * ({@link LogContext}).
 */
public class IdempotentMethodInterceptor implements MethodInterceptor {

    private static final ParameterNameDiscoverer PARAMETER_NAMES = new DefaultParameterNameDiscoverer();
    private static final int NON_HTTP_STATUS = 0;

    private final Supplier<IdempotencyEngine> engine;
    private final Supplier<IdempotentValueSerializer> serializer;
    private final Supplier<IdempotencyObservations> observations;
    private final BeanFactory beanFactory;
    private final Map<MethodOnClass, IdempotentMethodDefinition> definitions = new ConcurrentHashMap<>();

    /**
     * @param engine looked up on the first call, so that the interceptor can be created before the engine's store
     * @param serializer looked up on the first call that stores or fingerprints a value; may supply {@code null}
     *     when no JSON mapper is on the classpath
     * @param observations looked up on the first call, like the engine
     * @param beanFactory resolves {@code @beanName} references in expressions; may be {@code null}
     */
    public IdempotentMethodInterceptor(Supplier<IdempotencyEngine> engine, Supplier<IdempotentValueSerializer> serializer,
            Supplier<IdempotencyObservations> observations, BeanFactory beanFactory) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.serializer = Objects.requireNonNull(serializer, "serializer");
        this.observations = Objects.requireNonNull(observations, "observations");
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
        ClaimObservation observation = observations.get().claimStarted(key);
        IdempotencyClaim<Object> claim;
        try {
            claim = engine.get().begin(request, codec, OutcomePolicy.storeAll());
        } catch (IdempotencyStoreException e) {
            observation.failed(ClaimOutcome.STORE_ERROR, e);
            throw e;
        } catch (IdempotencyEngineClosedException e) {
            observation.failed(ClaimOutcome.SHUTTING_DOWN, e);
            throw e;
        }
        if (claim instanceof ActiveClaim<Object> active) {
            return run(invocation, active,
                    observation.acquired(active.isTakeover() ? ClaimOutcome.TAKEOVER : ClaimOutcome.ACQUIRED));
        }
        if (claim instanceof IdempotencyOutcome.Replayed<Object> replayed) {
            observation.ended(ClaimOutcome.REPLAYED);
            return replayed.result();
        }
        if (claim instanceof IdempotencyOutcome.InProgress<Object> inProgress) {
            observation.ended(ClaimOutcome.IN_PROGRESS);
            throw new IdempotencyInProgressException(key, inProgress.retryAfter());
        }
        observation.ended(ClaimOutcome.MISMATCH);
        throw new IdempotencyKeyReusedException(key);
    }

    /**
     * Runs the method under its claim, then settles the claim: stores the return value, or releases the key and
     * rethrows what the method threw, checked exceptions included.
     */
    private static Object run(MethodInvocation invocation, ActiveClaim<Object> claim, RunObservation observation)
            throws Throwable {
        Object result = null;
        Throwable failure = null;
        WorkContext previous = IdempotentMethodContext.bind(claim);
        Observation.Scope scope = observation.openScope();
        try (LogContext logContext = LogContext.put(observation.keyHash(), observation.outcome().tagValue())) {
            result = invocation.proceed();
        } catch (Throwable thrown) {
            failure = thrown;
        } finally {
            observation.closeScope(scope);
            IdempotentMethodContext.restore(previous);
        }
        if (failure != null) {
            observation.abandon(claim, failure);
            throw failure;
        }
        Observation completion = observation.completionStarted();
        IdempotencyOutcome.Executed<Object> executed;
        try {
            executed = claim.finish(result);
        } catch (RuntimeException | Error e) {
            observation.settlingFailed(completion, e);
            throw e;
        }
        observation.settled(completion, CompletionOutcome.of(executed.completion(), true));
        return executed.result();
    }

    private static IdempotentMethodDefinition define(MethodOnClass call) {
        Method specific = AopUtils.getMostSpecificMethod(call.method(), call.targetClass());
        return IdempotentMethodDefinition.inspect(specific, call.targetClass());
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
