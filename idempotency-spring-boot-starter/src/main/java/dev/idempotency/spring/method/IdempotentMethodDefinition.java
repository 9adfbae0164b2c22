package dev.idempotency.spring.method;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.core.annotation.MergedAnnotations.SearchStrategy;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.ParserContext;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.ClassUtils;

/**
 * What one {@link Idempotent} bean method asks for, read and checked once: its parsed expressions and durations.
 * Every misuse is reported here, as an {@link IllegalStateException} naming the method, so that it fails the startup
 * (through {@link IdempotentMethodValidator}) rather than the first call.
 *
 * @param method the method as declared on the bean's class, whose parameter names the expressions use
 * @param key the key expression
 * @param scope the scope template, or {@code null} for {@code defaultScope}
 * @param defaultScope the method's identity
 * @param fingerprint the fingerprint expression, or {@code null} for the key alone
 * @param ttl the TTL, or {@code null} for the engine's default
 * @param inFlightWait how long a call waits for a running one with the same key
 * @param returnType the generic return type, to read a stored value back
 * @param returnsNothing {@code true} for {@code void} and {@code Void}: nothing is serialized
 */
record IdempotentMethodDefinition(Method method, Expression key, Expression scope, String defaultScope, Expression fingerprint,
        Duration ttl, Duration inFlightWait, Type returnType, boolean returnsNothing) {

    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final String REQUEST_MAPPING = "org.springframework.web.bind.annotation.RequestMapping";
    private static final String CONTROLLER = "org.springframework.stereotype.Controller";
    private static final String PUBLISHER = "org.reactivestreams.Publisher";

    /** {@code true} when {@code method} is a Spring MVC handler method, which the servlet filter serves. */
    static boolean isHandlerMethod(Method method) {
        return MergedAnnotations.from(method, SearchStrategy.TYPE_HIERARCHY).isPresent(REQUEST_MAPPING);
    }

    /** The method's {@link Idempotent} if it asks for a bean-method claim: annotated, with a key, not a handler. */
    static @Nullable Idempotent beanMethodAnnotation(Method method) {
        Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(method, Idempotent.class);
        if (annotation == null || annotation.key().isEmpty() || isHandlerMethod(method)) {
            return null;
        }
        return annotation;
    }

    /**
     * Checks every {@link Idempotent} of a bean's class: on the class itself and on each method.
     *
     * @throws IllegalStateException naming the first misuse found
     */
    static void checkBeanClass(Class<?> beanClass) {
        Idempotent onClass = AnnotatedElementUtils.findMergedAnnotation(beanClass, Idempotent.class);
        if (onClass != null && !MergedAnnotations.from(beanClass, SearchStrategy.TYPE_HIERARCHY).isPresent(CONTROLLER)) {
            throw new IllegalStateException("@Idempotent on the class " + beanClass.getName() + ", which is not a controller: "
                    + "on a class it applies to the controller's handler methods only. Annotate each method of this bean "
                    + "with @Idempotent(key = ...) instead");
        }
        if (onClass != null) {
            checkWebOnly(onClass, beanClass.getName());
        }
    }

    /**
     * Reads the {@link Idempotent} of one method of a bean, if any.
     *
     * @return the definition of a bean method, or {@code null} for a method without the annotation or a handler method
     *     (which the servlet filter serves)
     * @throws IllegalStateException naming the misuse
     */
    static @Nullable IdempotentMethodDefinition inspect(Method method, Class<?> beanClass) {
        Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(method, Idempotent.class);
        if (annotation == null) {
            return null;
        }
        String where = ClassUtils.getUserClass(beanClass).getName() + "." + method.getName() + "()";
        if (isHandlerMethod(method)) {
            if (!annotation.key().isEmpty()) {
                throw new IllegalStateException("@Idempotent(key = \"" + annotation.key() + "\") on the handler method " + where
                        + ": a handler method takes its key from the Idempotency-Key request header. Remove the key, or "
                        + "annotate the service method the handler calls instead");
            }
            checkWebOnly(annotation, where);
            return null;
        }
        if (annotation.key().isEmpty()) {
            throw new IllegalStateException("@Idempotent on " + where + " needs a key: outside Spring MVC handler methods "
                    + "there is no Idempotency-Key header, so name the key with a SpEL expression over the arguments, "
                    + "such as @Idempotent(key = \"#event.id\")");
        }
        if (!annotation.required()) {
            throw webOnly(where, "required");
        }
        if (annotation.scope() != IdempotencyScope.PRINCIPAL) {
            throw webOnly(where, "scope");
        }
        if (!annotation.scopeResolver().isEmpty()) {
            throw webOnly(where, "scopeResolver");
        }
        if (annotation.fingerprintHeaders().length > 0) {
            throw webOnly(where, "fingerprintHeaders");
        }
        int modifiers = method.getModifiers();
        if (Modifier.isStatic(modifiers) || Modifier.isPrivate(modifiers) || Modifier.isFinal(modifiers)) {
            throw new IllegalStateException("@Idempotent on " + where + ", which is static, private or final: Spring's proxy "
                    + "cannot intercept it, so calls would not be protected");
        }
        Class<?> returned = method.getReturnType();
        if (Future.class.isAssignableFrom(returned) || CompletionStage.class.isAssignableFrom(returned)
                || implementsNamed(returned, PUBLISHER)) {
            throw new IllegalStateException("@Idempotent on " + where + ", which returns " + returned.getName()
                    + ": its work finishes after the method returns, so the claim would settle too early. Annotate a "
                    + "method that does the work synchronously, or use IdempotencyEngine.begin and settle the claim "
                    + "when the work ends");
        }
        Expression key = parse(annotation.key(), where, "key", null);
        Expression scope = annotation.keyScope().isEmpty() ? null
                : parse(annotation.keyScope(), where, "keyScope", ParserContext.TEMPLATE_EXPRESSION);
        Expression fingerprint = annotation.fingerprint().isEmpty() ? null
                : parse(annotation.fingerprint(), where, "fingerprint", null);
        String defaultScope = ClassUtils.getUserClass(beanClass).getName() + "." + method.getName();
        if (scope == null && defaultScope.length() > IdempotencyKey.MAX_SCOPE_LENGTH) {
            throw new IllegalStateException("@Idempotent on " + where + ": the method's name is longer than "
                    + IdempotencyKey.MAX_SCOPE_LENGTH + " characters and cannot be the key's scope; set keyScope");
        }
        Duration ttl = duration(annotation.ttl(), where, "ttl", false);
        Duration wait = duration(annotation.inFlightWait(), where, "inFlightWait", true);
        boolean returnsNothing = returned == void.class || returned == Void.class;
        return new IdempotentMethodDefinition(method, key, scope, defaultScope, fingerprint, ttl,
                wait == null ? Duration.ZERO : wait, method.getGenericReturnType(), returnsNothing);
    }

    private static void checkWebOnly(Idempotent annotation, String where) {
        for (String attribute : new String[] {"keyScope", "fingerprint", "inFlightWait"}) {
            String value = switch (attribute) {
                case "keyScope" -> annotation.keyScope();
                case "fingerprint" -> annotation.fingerprint();
                default -> annotation.inFlightWait();
            };
            if (!value.isEmpty()) {
                throw new IllegalStateException("@Idempotent(" + attribute + " = \"" + value + "\") on " + where
                        + ": " + attribute + " applies to bean methods with a key only; a handler method is fingerprinted "
                        + "from its request and answers a request in flight with 409");
            }
        }
    }

    private static IllegalStateException webOnly(String where, String attribute) {
        return new IllegalStateException("@Idempotent(" + attribute + " = ...) on " + where + ": " + attribute
                + " applies to Spring MVC handler methods only, not to a bean method with a key");
    }

    private static Expression parse(String text, String where, String attribute, ParserContext context) {
        try {
            return context == null ? PARSER.parseExpression(text) : PARSER.parseExpression(text, context);
        } catch (ParseException e) {
            throw new IllegalStateException("Invalid @Idempotent(" + attribute + " = \"" + text + "\") on " + where
                    + ": " + e.getMessage(), e);
        }
    }

    private static @Nullable Duration duration(String text, String where, String attribute, boolean zeroAllowed) {
        if (text.isEmpty()) {
            return null;
        }
        Duration duration;
        try {
            duration = DurationStyle.detectAndParse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Invalid @Idempotent(" + attribute + " = \"" + text + "\") on " + where
                    + ": not a duration; use a value such as \"30s\", \"48h\" or \"PT2H\"", e);
        }
        if (duration.isNegative() || (!zeroAllowed && duration.isZero())) {
            throw new IllegalStateException("Invalid @Idempotent(" + attribute + " = \"" + text + "\") on " + where
                    + ": the duration must be positive");
        }
        return duration;
    }

    private static boolean implementsNamed(Class<?> type, String interfaceName) {
        for (Class<?> candidate : ClassUtils.getAllInterfacesForClassAsSet(type)) {
            if (candidate.getName().equals(interfaceName)) {
                return true;
            }
        }
        return type.getName().equals(interfaceName);
    }
}
