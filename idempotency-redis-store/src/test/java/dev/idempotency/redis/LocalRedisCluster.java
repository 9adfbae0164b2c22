package dev.idempotency.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of three masters and no replicas, started by the test from the local {@code redis-server} and
 * {@code redis-cli} binaries on loopback ports, each node in a temporary directory of its own; {@link #close()}
 * stops the nodes and removes the directories.
 */
public final class LocalRedisCluster implements AutoCloseable {

    private final List<LocalRedisServer> nodes = new ArrayList<>();

    private LocalRedisCluster() {}

    public static LocalRedisCluster start() {
        LocalRedisCluster cluster = new LocalRedisCluster();
        try {
            for (int i = 0; i < 3; i++) {
                cluster.nodes.add(LocalRedisServer.start("--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"));
            }
            cluster.create();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void create() {
        List<String> command = new ArrayList<>(List.of(LocalRedisServer.binary("redis-cli"), "--cluster", "create"));
        for (LocalRedisServer node : nodes) {
            command.add("127.0.0.1:" + node.port());
        }
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run redis-cli --cluster create", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!nodes.stream().allMatch(LocalRedisCluster::clusterOk)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster did not reach cluster_state:ok");
            }
            LocalRedisServer.sleep(50);
        }
    }

    private static boolean clusterOk(LocalRedisServer node) {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("CLUSTER INFO\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] buffer = new byte[4096];
            int read = socket.getInputStream().read(buffer);
            return read > 0 && new String(buffer, 0, read, StandardCharsets.US_ASCII).contains("cluster_state:ok");
        } catch (IOException e) {
            return false;
        }
    }

    /** The nodes' URIs, seeds for a cluster client. */
    public List<String> urls() {
        return nodes.stream().map(LocalRedisServer::url).toList();
    }

    @Override
    public void close() {
        for (LocalRedisServer node : nodes) {
            node.close();
        }
    }
}
