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
 * <p>Spring MVC calls {@link #postProcess} on the thread that ran the task, in a {@code finally}, whether the task
 * returned, threw, or was interrupted after a timeout. The request may have been recycled by then, so the run is looked
 * up by the task, remembered when the task was handed over on the servlet thread.
 */
public final class AsyncWorkInterceptor implements CallableProcessingInterceptor {

    private final Map<Callable<?>, HandlerRun> running = Collections.synchronizedMap(new IdentityHashMap<>());

    @Override
    public <T> void beforeConcurrentHandling(NativeWebRequest request, Callable<T> task) {
        if (request.getAttribute(HandlerRun.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST) instanceof HandlerRun run) {
            running.put(task, run);
            run.onSettled(() -> running.remove(task));
        }
    }

    @Override
    public <T> void postProcess(NativeWebRequest request, Callable<T> task, Object concurrentResult) {
        HandlerRun run = running.remove(task);
        if (run != null) {
            run.workEnded(concurrentResult);
        }
    }

    /** How many tasks are watched; for tests. */
    int watched() {
        return running.size();
    }
}
