package dev.idempotency.spring.web;

import dev.idempotency.spring.Idempotent;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.MDC;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** Handlers that record what the MDC and the current observation are while they run. */
@RestController
public class ObservationController {

    /** What each handler saw: the MDC entries and the name of the current observation. */
    public record Seen(Map<String, String> mdc, String currentObservation) {}

    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final ObjectProvider<ObservationRegistry> registry;

    public ObservationController(ObjectProvider<ObservationRegistry> registry) {
        this.registry = registry;
    }

    @PostMapping("/observed")
    @Idempotent
    public String observed() {
        record();
        return "observed";
    }

    @PostMapping("/observed-async")
    @Idempotent
    public Callable<String> observedAsync() {
        return () -> {
            record();
            return "observed async";
        };
    }

    @PostMapping("/observed-failure")
    @Idempotent
    public String observedFailure() {
        throw new IllegalStateException("the handler failed");
    }

    private void record() {
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        ObservationRegistry observations = registry.getIfAvailable();
        Observation current = observations == null ? null : observations.getCurrentObservation();
        seen.add(new Seen(mdc == null ? Map.of() : Map.copyOf(mdc),
                current == null ? null : current.getContext().getName()));
    }
}
