package dev.idempotency.spring.web;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.async.CallableProcessingInterceptor;

/**
 * Tells a protected request's {@link HandlerRun} when its {@code Callable} (or {@code WebAsyncTask}) really ends, which
 * after an asynchronous timeout is later than the request: the claim must stay held until then, or a retry would run
 * the handler a second time beside the first.
 *
 * <p>Spring MVC calls {@link #preProcess} and {@link #postProcess} on the thread that runs the task, around the task,
 * {@code postProcess} in a {@code finally}, whether the task returned, threw, or was interrupted after a timeout. The
 * run is read from the request when the task starts (the request is live then: a task that has not started when its
 * request times out is cancelled and never starts) and kept on that thread until the task ends, when the request may
 * already be recycled. Binding the run to the task's thread, not to the {@code Callable} object, keeps one
 * {@code Callable} instance shared by several requests from mixing up their runs.
 */
public final class AsyncWorkInterceptor implements CallableProcessingInterceptor {

    private final ThreadLocal<HandlerRun> running = new ThreadLocal<>();
    /** The run's observation scope and MDC entries on the task's thread, removed when the task ends. */
    private final ThreadLocal<HandlerRun.ThreadContext> entered = new ThreadLocal<>();

    @Override
    public <T> void preProcess(NativeWebRequest request, Callable<T> task) {
        running.remove();
        if (request.getAttribute(HandlerRun.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST) instanceof HandlerRun run) {
            if (!run.workStarting()) {
                // Its request is over and its key released as never run: running it now would run it unclaimed.
                throw new IllegalStateException("The asynchronous task of " + run.key() + " started after its request "
                        + "ended and its key was released; it is not run");
            }
            running.set(run);
            entered.set(run.enterThread());
        }
    }

    /** Called on the container thread when the request completes, whether the task ran or not. */
    @Override
    public <T> void afterCompletion(NativeWebRequest request, Callable<T> task) {
        if (request.getAttribute(HandlerRun.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST) instanceof HandlerRun run) {
            run.requestCompletedForCallable();
        }
    }

    @Override
    public <T> void postProcess(NativeWebRequest request, Callable<T> task, Object concurrentResult) {
        HandlerRun run = running.get();
        running.remove();
        HandlerRun.ThreadContext context = entered.get();
        entered.remove();
        if (context != null) {
            context.close();
        }
        if (run != null) {
            run.workEnded(concurrentResult);
        }
    }
}
