package dev.idempotency.jdbc.reliability;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link EngineHttpApp} in a JVM of its own, started from the test class path, so that a test can kill it with
 * SIGKILL at a chosen phase. Its stdout is parsed for the {@code READY} and {@code PHASE} lines; its stderr goes to
 * a file under {@code target/reliability}.
 */
final class AppProcess {

    private final String name;
    private final Process process;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final Map<String, CompletableFuture<String>> phases = new ConcurrentHashMap<>();

    private AppProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(this::readOutput, "stdout-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static AppProcess start(String name, Map<String, String> env) throws IOException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path logs = Path.of("target", "reliability");
        Files.createDirectories(logs);
        // Flags for a fast start: the app lives a few seconds, so C1 only and a small serial heap.
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss512k", "-Xmx96m", "-Xshare:auto",
                "-cp", classPath, EngineHttpApp.class.getName());
        builder.environment().putAll(env);
        builder.redirectError(logs.resolve(name + ".log").toFile());
        builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        return new AppProcess(name, builder.start());
    }

    private void readOutput() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith(EngineHttpApp.READY)) {
                    port.complete(Integer.parseInt(line.substring(EngineHttpApp.READY.length()).trim()));
                } else if (line.startsWith(EngineHttpApp.MARKER)) {
                    String[] parts = line.substring(EngineHttpApp.MARKER.length()).trim().split(" ", 2);
                    phase(parts[1]).complete(parts[0]);
                }
            }
        } catch (IOException e) {
            // the process died; waiters time out with a message
        }
        port.completeExceptionally(new IllegalStateException(name + " exited before it was ready; see "
                + Path.of("target", "reliability", name + ".log").toAbsolutePath()));
    }

    String name() {
        return name;
    }

    /** Waits until the app serves requests. */
    URI awaitReady() throws Exception {
        return URI.create("http://127.0.0.1:" + port.get(60, TimeUnit.SECONDS) + "/work");
    }

    /** Waits until the app printed that the request with {@code key} reached {@code phase}. */
    void awaitPhase(String key, String phase) throws Exception {
        String reached = phase(key).get(60, TimeUnit.SECONDS);
        if (!reached.equals(phase)) {
            throw new IllegalStateException(key + " reached " + reached + ", expected " + phase);
        }
    }

    private CompletableFuture<String> phase(String key) {
        return phases.computeIfAbsent(key, k -> new CompletableFuture<>());
    }

    /** SIGKILL on Linux: no shutdown hooks, no finally blocks, connections cut by the kernel. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " did not die");
        }
    }
}
