package dev.idempotency.spring.internal.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Canonicalising a body happens before anything is claimed, so any caller can make the server do it: the memory it
 * allocates must stay a small multiple of the body, however the body is nested. Measured with the JVM's per-thread
 * allocation counter, which counts every byte this thread allocates (not wall time, so it does not depend on the
 * machine's load).
 */
class JsonCanonicalizerAllocationTest {

    /** The request size limit's default. */
    private static final int SIZE = 1 << 20;

    /**
     * Bytes allocated per byte of body, at most. The flat body needs about 3 (the canonical copy, the result and the
     * index of the members to sort); nesting must not add to that.
     */
    private static final double BOUND = 8.0;

    private static final int DEPTH = JsonCanonicalizer.DEFAULT_MAX_DEPTH;

    private static byte[] flat;
    private static byte[] nested;

    /** One object of small members, strings and numbers: the shape with the most bookkeeping per byte. */
    static byte[] flat() {
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; json.length() < SIZE - 64; i++) {
            json.append("\"n").append(i).append("\":").append(i).append('.').append(i % 7).append(",\"member")
                    .append(i).append("\":\"value of member ").append(i).append("\",");
        }
        json.append("\"last\":true}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Objects nested {@code depth} deep, with their members in reverse order so that every level must be sorted, and
     * most of the bytes in the innermost object, so that a canonicaliser that copies each sub-tree once per level
     * copies most of the body {@code depth} times.
     */
    static byte[] nested(int depth) {
        StringBuilder open = new StringBuilder();
        for (int i = 1; i < depth; i++) {
            open.append("{\"z\":").append(i).append(",\"child\":");
        }
        String close = "}".repeat(depth - 1);
        StringBuilder innermost = new StringBuilder("{");
        for (int i = 0; open.length() + innermost.length() + close.length() < SIZE - 64; i++) {
            innermost.append("\"m").append(i).append("\":\"value ").append(i).append("\",");
        }
        innermost.append("\"last\":true}");
        return (open + innermost.toString() + close).getBytes(StandardCharsets.UTF_8);
    }

    @BeforeAll
    static void warmUp() {
        flat = flat();
        nested = nested(DEPTH);
        // Compiled code allocates no more than the interpreter; warming up makes the measurement that of production.
        for (int i = 0; i < 20; i++) {
            JsonCanonicalizer.canonicalize(flat, StandardCharsets.UTF_8, DEPTH);
            JsonCanonicalizer.canonicalize(nested, StandardCharsets.UTF_8, DEPTH);
        }
    }

    /** The least of three runs, so that a stray allocation of the JVM on this thread does not count. */
    private static long allocatedBy(byte[] body) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long least = Long.MAX_VALUE;
        for (int run = 0; run < 3; run++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            JsonCanonicalizer.canonicalize(body, StandardCharsets.UTF_8, DEPTH);
            least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
        }
        return least;
    }

    @Test
    void aFlatOneMebibyteBodyAllocatesASmallMultipleOfItsSize() {
        assertThat(flat.length).isBetween(SIZE - 100, SIZE);
        long allocated = allocatedBy(flat);
        assertThat((double) allocated / flat.length).as("bytes allocated per byte of a flat body (%d in all)", allocated)
                .isLessThanOrEqualTo(BOUND);
    }

    @Test
    void aOneMebibyteBodyNestedAtTheDepthLimitAllocatesNoMoreThanAFlatOne() {
        assertThat(nested.length).isBetween(SIZE - 100, SIZE);
        long allocated = allocatedBy(nested);
        assertThat((double) allocated / nested.length).as("bytes allocated per byte of a nested body (%d in all)", allocated)
                .isLessThanOrEqualTo(BOUND);
    }
}
