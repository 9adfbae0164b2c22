package dev.idempotency.spring.web;

import dev.idempotency.core.IdempotencyContext;
import dev.idempotency.spring.Idempotent;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;

/**
 * Passes the claim's {@link IdempotencyContext} to an {@link Idempotent} handler method that declares it, like
 * {@code Principal}:
 *
 * <pre>{@code
 * @PostMapping("/payments")
 * @Idempotent
 * PaymentResponse pay(@RequestBody PaymentRequest request, IdempotencyContext idempotency) { ... }
 * }</pre>
 *
 * A handler runs without a claim when its key header is optional ({@code @Idempotent(required = false)}) and the
 * request has none, or when the store is down and {@code idempotency.fail-open} is on: declare the parameter as
 * {@code Optional<IdempotencyContext>} to run then too. A plain {@code IdempotencyContext} parameter refuses such a
 * request with an {@link IllegalStateException} rather than run the handler without the recovery points it relies on.
 * A handler that is not {@link Idempotent} and declares either fails the application's startup (see
 * {@link IdempotentHandlerResolver}).
 */
public class IdempotencyContextArgumentResolver implements HandlerMethodArgumentResolver {

    @Override
    public boolean supportsParameter(MethodParameter parameter) {
        return declaresContext(parameter);
    }

    @Override
    public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mavContainer, NativeWebRequest webRequest,
            WebDataBinderFactory binderFactory) {
        HttpServletRequest request = webRequest.getNativeRequest(HttpServletRequest.class);
        IdempotencyContext context = request != null && request.getAttribute(HandlerRun.ATTRIBUTE) instanceof HandlerRun run
                ? run.context()
                : null;
        if (parameter.getParameterType() == Optional.class) {
            return Optional.ofNullable(context);
        }
        if (context == null) {
            throw new IllegalStateException("No idempotency key was claimed for this request, so "
                    + parameter.getExecutable().toGenericString() + " cannot get its IdempotencyContext: the request "
                    + "carried no Idempotency-Key header for an @Idempotent(required = false) handler, or the store was "
                    + "down with idempotency.fail-open on. Declare the parameter as Optional<IdempotencyContext> to run "
                    + "the handler without one");
        }
        return context;
    }

    /** Whether the parameter is an {@code IdempotencyContext} or an {@code Optional} of one. */
    static boolean declaresContext(MethodParameter parameter) {
        return parameter.nestedIfOptional().getNestedParameterType() == IdempotencyContext.class;
    }
}
