package dev.idempotency.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns the {@code results.tsv} of a run into {@code summary.md}: every figure with the load average before and
 * after it, and the ratios the benchmarks exist for.
 *
 * <pre>
 * java -cp ... dev.idempotency.benchmarks.Summary results.tsv machine.txt > summary.md
 * </pre>
 */
public final class Summary {

    private Summary() {}

    record Row(String section, String name, String threads, double value, String unit, String loadBefore,
            String loadAfter, String round, String command) {}

    public static void main(String[] args) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0])).subList(1, Files.readAllLines(Path.of(args[0])).size())) {
            String[] f = line.split("\t", -1);
            if (f.length < 9 || f[3].isBlank()) {
                continue;
            }
            rows.add(new Row(f[0], f[1], f[2], Double.parseDouble(f[3]), f[4], f[5], f[6], f[7], f[8]));
        }
        StringBuilder out = new StringBuilder("# Benchmark summary\n\n## Machine\n\n```\n");
        out.append(Files.readString(Path.of(args[1]))).append("```\n");
        storeVersusPgbench(rows, out);
        experiment(rows, out);
        plain(rows, out, "memory", "In-memory store (JMH, ops/s)");
        plain(rows, out, "engine", "Engine over the in-memory store (JMH, ops/s)");
        plain(rows, out, "roundtrips", "Database round trips per request (JDBC counting proxy)");
        http(rows, out);
        scale(rows, out);
        out.append("\n## Every figure with its command\n\n| section | case | threads | value | unit | load before | load after | round | command |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | `%s` |\n".formatted(r.section, r.name, r.threads,
                    number(r.value), r.unit, r.loadBefore, r.loadAfter, r.round, r.command.replace("|", "\\|")));
        }
        System.out.print(out);
    }

    private static void storeVersusPgbench(List<Row> rows, StringBuilder out) {
        List<Row> store = section(rows, "store");
        if (store.isEmpty()) {
            return;
        }
        out.append("\n## PostgreSQL store vs pgbench on the same statements\n\n")
                .append("One library operation = one pgbench transaction. Mean over rounds; each round ran the library and ")
                .append("pgbench back to back.\n\n")
                .append("Client cores: CPU seconds per second of the JMH JVM (JVM start and warm-up included) and of pgbench; ")
                .append("on 2 cores shared with the server, what the client burns the database does not get.\n\n")
                .append("| operation | threads | library ops/s | pgbench tps | library / pgbench | per round | client cores (lib, pgbench) | lib alloc B/op | load before (lib, pgbench) |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        Map<String, String> pairs = new LinkedHashMap<>();
        pairs.put("claimAndComplete", "pgbench-claim-complete");
        pairs.put("replayClaim", "pgbench-replay");
        pairs.put("find", "pgbench-find");
        Set<String> threads = store.stream().map(Row::threads).collect(Collectors.toCollection(LinkedHashSet::new));
        for (Map.Entry<String, String> pair : pairs.entrySet()) {
            for (String t : threads) {
                List<Row> lib = matching(store, pair.getKey(), t);
                List<Row> pg = matching(store, pair.getValue(), t);
                if (lib.isEmpty() || pg.isEmpty()) {
                    continue;
                }
                StringBuilder perRound = new StringBuilder();
                StringBuilder loads = new StringBuilder();
                for (Row l : lib) {
                    pg.stream().filter(p -> p.round.equals(l.round)).findFirst().ifPresent(p -> {
                        perRound.append(perRound.isEmpty() ? "" : ", ").append(percent(l.value / p.value));
                        loads.append(loads.isEmpty() ? "" : "; ").append(l.loadBefore).append(", ").append(p.loadBefore);
                    });
                }
                double libMean = mean(lib);
                double pgMean = mean(pg);
                String cores = number(mean(matching(store, pair.getKey() + ":client-cores", t))) + ", "
                        + number(mean(matching(store, pair.getValue() + ":client-cores", t)));
                String alloc = number(mean(matching(store, pair.getKey() + ":gc.alloc.rate.norm", t)));
                out.append("| %s | %s | %s | %s | **%s** | %s | %s | %s | %s |\n".formatted(pair.getKey(), t,
                        number(libMean), number(pgMean), percent(libMean / pgMean), perRound, cores, alloc, loads));
            }
        }
        // What a replay costs against the cheapest thing the database can do for it: a primary-key read of the row.
        out.append("\n");
        for (String t : threads) {
            double replay = mean(matching(store, "replayClaim", t));
            double find = mean(matching(store, "pgbench-find", t));
            if (!Double.isNaN(replay) && !Double.isNaN(find)) {
                out.append("- library replay / pgbench `find.sql` (a primary-key SELECT of the same rows), %s threads: **%s**\n"
                        .formatted(t, percent(replay / find)));
            }
        }
    }

    private static void experiment(List<Row> rows, StringBuilder out) {
        List<Row> experiment = section(rows, "experiment").stream().filter(r -> !r.name.contains(":")).toList();
        if (experiment.isEmpty()) {
            return;
        }
        out.append("\n## Experiment: replay claim with ON CONFLICT DO NOTHING (not the library's statement)\n\n")
                .append("| threads | DO NOTHING tps | library's replay.sql tps (mean) | ratio | load before |\n|---|---|---|---|---|\n");
        for (Row r : experiment) {
            double replay = mean(matching(section(rows, "store"), "pgbench-replay", r.threads));
            out.append("| %s | %s | %s | %s | %s |\n".formatted(r.threads, number(r.value), number(replay),
                    Double.isNaN(replay) ? "" : "%.2fx".formatted(r.value / replay), r.loadBefore));
        }
    }

    private static void plain(List<Row> rows, StringBuilder out, String section, String title) {
        List<Row> selected = section(rows, section);
        if (selected.isEmpty()) {
            return;
        }
        out.append("\n## ").append(title).append("\n\n| case | threads | value | unit | load before | load after |\n|---|---|---|---|---|---|\n");
        for (Row r : selected) {
            out.append("| %s | %s | %s | %s | %s | %s |\n".formatted(r.name, r.threads, number(r.value), r.unit,
                    r.loadBefore, r.loadAfter));
        }
    }

    private static void http(List<Row> rows, StringBuilder out) {
        for (String store : List.of("memory", "jdbc")) {
            List<Row> selected = section(rows, "http-" + store);
            if (selected.isEmpty()) {
                continue;
            }
            out.append("\n## HTTP, ").append(store).append(" store (wrk, mean over rounds)\n\n")
                    .append("| configuration | req/s | p50 ms | p99 ms | non-2xx | application CPU us per request | bytes allocated per request | load before |\n|---|---|---|---|---|---|---|---|\n");
            Map<String, Double> rps = new LinkedHashMap<>();
            Map<String, Double> allocation = new LinkedHashMap<>();
            Map<String, Double> cpu = new LinkedHashMap<>();
            for (String config : List.of("plain", "new", "replay")) {
                List<Row> r = matching(selected, config, null);
                if (r.isEmpty()) {
                    continue;
                }
                rps.put(config, mean(r));
                allocation.put(config, mean(matching(selected, config + "-alloc", null)));
                cpu.put(config, mean(matching(selected, config + "-cpu", null)));
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s |\n".formatted(config, number(mean(r)),
                        number(mean(matching(selected, config + "-p50", null))),
                        number(mean(matching(selected, config + "-p99", null))),
                        number(mean(matching(selected, config + "-non2xx", null))),
                        number(cpu.get(config)), number(allocation.get(config)),
                        r.stream().map(Row::loadBefore).collect(Collectors.joining(", "))));
            }
            out.append("\n");
            ratio(out, rps, "new", "plain", "idempotent (new keys) / no idempotency");
            ratio(out, rps, "replay", "plain", "replays / no idempotency");
            ratio(out, rps, "replay", "new", "replays / new keys");
            inverseRatio(out, cpu, "new", "plain", "CPU per request, no idempotency / new keys (the throughput the CPU allows)");
            inverseRatio(out, cpu, "replay", "plain", "CPU per request, no idempotency / replays");
            if (!allocation.getOrDefault("new", Double.NaN).isNaN() && !allocation.getOrDefault("plain", Double.NaN).isNaN()) {
                out.append("- bytes allocated per request, new keys / no idempotency: **%.2fx**\n"
                        .formatted(allocation.get("new") / allocation.get("plain")));
            }
        }
    }

    private static void ratio(StringBuilder out, Map<String, Double> rps, String a, String b, String label) {
        if (rps.containsKey(a) && rps.containsKey(b)) {
            out.append("- ").append(label).append(": **").append(percent(rps.get(a) / rps.get(b))).append("**\n");
        }
    }

    private static void inverseRatio(StringBuilder out, Map<String, Double> cost, String a, String b, String label) {
        if (!cost.getOrDefault(a, Double.NaN).isNaN() && !cost.getOrDefault(b, Double.NaN).isNaN()) {
            out.append("- ").append(label).append(": **").append(percent(cost.get(b) / cost.get(a))).append("**\n");
        }
    }

    private static void scale(List<Row> rows, StringBuilder out) {
        List<Row> selected = section(rows, "scale");
        if (selected.isEmpty()) {
            return;
        }
        out.append("\n## Scale: single-thread latency by table size, purge\n\n")
                .append("| rows | claim avg us | claim p99 us | claim avg vs empty | replay avg us | replay p99 us | purge rows/s | fill s | load before |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        Set<String> sizes = selected.stream().map(Row::threads).collect(Collectors.toCollection(LinkedHashSet::new));
        double empty = mean(matching(selected, "claim-avg", "0"));
        for (String size : sizes) {
            double avg = mean(matching(selected, "claim-avg", size));
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n".formatted(size, number(avg),
                    number(mean(matching(selected, "claim-p99", size))),
                    Double.isNaN(empty) ? "" : "%.2fx".formatted(avg / empty),
                    number(mean(matching(selected, "replay-avg", size))),
                    number(mean(matching(selected, "replay-p99", size))),
                    number(mean(matching(selected, "purge", size))),
                    number(mean(matching(selected, "fill", size))),
                    matching(selected, "claim-avg", size).stream().map(Row::loadBefore).collect(Collectors.joining(", "))));
        }
    }

    private static List<Row> section(List<Row> rows, String section) {
        return rows.stream().filter(r -> r.section.equals(section)).toList();
    }

    private static List<Row> matching(List<Row> rows, String name, String threads) {
        return rows.stream().filter(r -> r.name.equals(name) && (threads == null || Objects.equals(r.threads, threads)))
                .toList();
    }

    private static double mean(List<Row> rows) {
        return rows.stream().mapToDouble(Row::value).average().orElse(Double.NaN);
    }

    private static String number(double value) {
        if (Double.isNaN(value)) {
            return "";
        }
        return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.0f%%", ratio * 100);
    }
}
