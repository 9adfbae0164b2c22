package dev.idempotency.benchmarks.http;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Prints the top frames of a JFR recording of {@link BenchmarkApplication} as Markdown: where the CPU samples
 * are (self and inclusive time of the library's own methods) and which of the library's methods allocate.
 *
 * <pre>
 * java -cp ... dev.idempotency.benchmarks.http.JfrTop app-new.jfr [rows]
 * </pre>
 *
 * <p>Only request threads are counted (Tomcat's {@code http-nio-*} workers): the samples of wrk's own load and of
 * the JIT are not the filter's cost. An allocation is charged to the innermost frame of the library on its stack,
 * or to its innermost frame when the library is not on it, so that "Tomcat" and "Spring MVC" show as themselves.
 */
public final class JfrTop {

    private static final String LIBRARY = "dev.idempotency.";
    private static final String FILTER_CHAIN = "org.apache.catalina.core.ApplicationFilterChain.";

    private JfrTop() {}

    public static void main(String[] args) throws IOException {
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> ownFrames = new HashMap<>();
        Map<String, Double> allocation = new HashMap<>();
        long samples = 0;
        long own = 0;
        double allocated = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!isRequestThread(event)) {
                continue;
            }
            List<RecordedFrame> frames = frames(event.getStackTrace());
            if (frames.isEmpty()) {
                continue;
            }
            String type = event.getEventType().getName();
            if (type.equals("jdk.ExecutionSample")) {
                samples++;
                self.merge(name(frames.get(0)), 1L, Long::sum);
                String charged = chargedTo(frames);
                if (charged.startsWith(LIBRARY)) {
                    own++;
                    ownFrames.merge(charged, 1L, Long::sum);
                }
                Set<String> seen = new HashSet<>();
                for (RecordedFrame frame : frames) {
                    String name = name(frame);
                    if (name.startsWith(LIBRARY) && seen.add(name)) {
                        inclusive.merge(name, 1L, Long::sum);
                    }
                }
            } else if (type.equals("jdk.ObjectAllocationSample")) {
                double weight = event.getLong("weight");
                allocated += weight;
                allocation.merge(chargedTo(frames), weight, Double::sum);
            }
        }
        System.out.printf("CPU samples on request threads: %d; in the library's own code (not in the chain it calls): %.1f%%%n%n",
                samples, samples == 0 ? 0.0 : 100.0 * own / samples);
        table("Self time (top frame)", self, samples, rows);
        table("Inclusive time, the library's methods (the filter's includes the chain it calls)", inclusive, samples, rows);
        table("Own time, charged to the innermost library frame", ownFrames, samples, rows);
        System.out.printf("Allocation samples on request threads: %.1f MB in all%n%n", allocated / 1e6);
        table("Allocation, charged to the innermost library frame or to what the chain runs", allocation, allocated, rows);
    }

    private static boolean isRequestThread(RecordedEvent event) {
        // An execution sample names its thread in "sampledThread", other events in "eventThread".
        RecordedThread thread = event.hasField("sampledThread") ? event.getThread("sampledThread") : event.getThread();
        String name = thread == null ? null : thread.getJavaName();
        return name != null && name.startsWith("http-nio-");
    }

    private static List<RecordedFrame> frames(RecordedStackTrace stackTrace) {
        return stackTrace == null ? List.of() : stackTrace.getFrames().stream().filter(RecordedFrame::isJavaFrame).toList();
    }

    /**
     * The innermost library frame, unless the servlet filter chain the library called lies in between (then the
     * sample belongs to what the chain runs), or the library is not on the stack at all.
     */
    private static String chargedTo(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String name = name(frame);
            if (name.startsWith(LIBRARY)) {
                return name;
            }
            if (name.startsWith(FILTER_CHAIN)) {
                return "(the rest of the chain) " + name(frames.get(0));
            }
        }
        return "(outside the library) " + name(frames.get(0));
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }

    private static <N extends Number> void table(String title, Map<String, N> counts, double total, int rows) {
        System.out.printf("| %s | share |%n|---|---|%n", title);
        counts.entrySet().stream()
                .sorted((a, b) -> Double.compare(b.getValue().doubleValue(), a.getValue().doubleValue()))
                .limit(rows)
                .forEach(e -> System.out.printf("| `%s` | %.1f%% |%n", e.getKey(), 100 * e.getValue().doubleValue() / total));
        System.out.println();
    }
}
