package dev.sallyport.bench.compare;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns the {@code RESULT} lines of a compare.sh run into one table of medians over the rounds,
 * the ratios of each Sallyport listener to every peer and to direct, and the check of the
 * targets of issue 18 (those of issue 8, plus sessions one at a time and with a password). Targets named {@code sallyport-*} are ours, {@code direct} is the baseline,
 * a name ending in {@code -auth} is a password variant (sessions only); everything else is a peer.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar" dev.sallyport.bench.compare.CompareReport results.txt
 * </pre>
 */
public final class CompareReport {

    /** A column: which results it reads, which value, and whether higher is better. */
    record Metric(String id, String header, String mode, Map<String, String> match, String value, boolean higherBetter,
                  String format) {
    }

    static final List<Metric> METRICS = List.of(
            new Metric("down", "MB/s down", "throughput", Map.of("dir", "down", "tunnels", "1"), "mbps", true, "%.0f"),
            new Metric("up", "MB/s up", "throughput", Map.of("dir", "up", "tunnels", "1"), "mbps", true, "%.0f"),
            new Metric("cpu_gb", "CPU s/GB", "throughput", Map.of("dir", "down", "tunnels", "1"), "proxy_cpu_s_per_gb", false, "%.2f"),
            new Metric("sessions", "sess/s @50", "sessions", Map.of("concurrency", "50"), "rate", true, "%.0f"),
            new Metric("sessions1", "sess/s @1", "sessions", Map.of("concurrency", "1"), "rate", true, "%.0f"),
            new Metric("cpu_session", "CPU us/sess", "sessions", Map.of("concurrency", "50"), "proxy_cpu_us_per_session", false,
                    "%.0f"),
            new Metric("ttfb", "TTFB p50 us", "ttfb", Map.of(), "p50_us", false, "%.0f"),
            new Metric("ping50", "ping p50 us", "pingpong", Map.of(), "p50_us", false, "%.1f"),
            new Metric("ping99", "ping p99 us", "pingpong", Map.of(), "p99_us", false, "%.1f"),
            new Metric("idle", "KB/idle tun", "idle", Map.of(), "rss_per_tunnel_kb", false, "%.1f"));

    private final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    private final Map<String, Integer> errors = new HashMap<>();
    private final Map<String, String> firstError = new HashMap<>();
    private final Set<Integer> rounds = new TreeSet<>();
    private final Map<String, List<Double>> floor = new HashMap<>();
    private int idleTunnels;

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: CompareReport RESULTS_FILE...");
            System.exit(2);
        }
        CompareReport report = new CompareReport();
        for (String file : args) {
            for (String line : Files.readAllLines(Path.of(file))) {
                report.add(line);
            }
        }
        report.print(System.out);
    }

    /** Adds one line; lines that are not {@code RESULT} lines are ignored. */
    void add(String line) {
        if (!line.startsWith("RESULT ")) {
            return;
        }
        Map<String, String> fields = new HashMap<>();
        for (String pair : line.substring(7).trim().split(" +", -1)) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                fields.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        String target = fields.getOrDefault("target", "?");
        values.computeIfAbsent(target, t -> new LinkedHashMap<>());
        if (fields.containsKey("round")) {
            rounds.add(Integer.parseInt(fields.get("round")));
        }
        if (fields.containsKey("error")) {
            errors.merge(target, 1, Integer::sum);
            firstError.putIfAbsent(target, fields.get("mode") + ": " + fields.get("error"));
            return;
        }
        if ("idle".equals(fields.get("mode")) && fields.containsKey("tunnels")) {
            idleTunnels = Math.max(idleTunnels, Integer.parseInt(fields.get("tunnels")));
        }
        for (Metric metric : METRICS) {
            if (metric.mode.equals(fields.get("mode"))
                    && metric.match.entrySet().stream().allMatch(e -> e.getValue().equals(fields.get(e.getKey())))) {
                double v = number(fields.get(metric.value));
                if (!Double.isNaN(v)) {
                    values.get(target).computeIfAbsent(metric.id, m -> new ArrayList<>()).add(v);
                }
                // The floor: what the load generator and destination alone spend per GB (direct).
                if (metric.id.equals("down") && target.equals("direct")) {
                    floor.computeIfAbsent("cpu_gb", m -> new ArrayList<>()).add(number(fields.get("client_cpu_s_per_gb")));
                }
            }
        }
    }

    double median(String target, String metric) {
        if (target.equals("floor")) {
            return median(floor.getOrDefault(metric, List.of()));
        }
        return median(values.getOrDefault(target, Map.of()).getOrDefault(metric, List.of()));
    }

    private static double median(List<Double> list) {
        if (list.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(list);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    void print(PrintStream out) {
        List<String> targets = new ArrayList<>(values.keySet());
        List<String> ours = targets.stream().filter(t -> t.startsWith("sallyport") && !t.endsWith("-auth")).toList();
        List<String> peers = targets.stream().filter(t -> !t.startsWith("sallyport") && !t.equals("direct")
                && !t.endsWith("-auth")).toList();

        out.printf(Locale.ROOT, "Medians over %d round(s) %s (round 0: the idle phase); MB = 10^6 bytes; CPU = utime+stime of the proxy's process tree%n",
                rounds.stream().filter(r -> r > 0).count(), rounds);
        printHeader(out, "target");
        for (String target : targets) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %-22s", target));
            for (Metric metric : METRICS) {
                double v = median(target, metric.id);
                if (target.equals("direct") && metric.id.equals("cpu_gb")) {
                    v = median("floor", "cpu_gb");
                    row.append(String.format(Locale.ROOT, " | %11s", Double.isNaN(v) ? "-" : fmt(metric, v) + " floor"));
                    continue;
                }
                row.append(String.format(Locale.ROOT, " | %11s", Double.isNaN(v) ? "-" : fmt(metric, v)));
            }
            int e = errors.getOrDefault(target, 0);
            out.println(row.append(" |").append(e == 0 ? "" : "  " + e + " error(s), first: " + firstError.get(target)));
        }
        out.println("direct's CPU s/GB is the floor: the load generator and its destination server alone (issue 8: ~0.69).");
        if (idleTunnels > 0) {
            out.println("KB/idle tun: RSS growth of the proxy's process tree / " + idleTunnels + " idle tunnels, fresh process.");
        }

        for (String us : ours) {
            out.println();
            out.println("Ratios " + us + " / other (> 1 is better for Sallyport in MB/s and sess/s, < 1 in the rest)");
            printHeader(out, "other");
            List<String> others = new ArrayList<>(peers);
            others.add("direct");
            for (String other : others) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %-22s", other));
                for (Metric metric : METRICS) {
                    double ratio = median(us, metric.id) / median(other, metric.id);
                    row.append(String.format(Locale.ROOT, " | %11s", Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.2f", ratio) : "-"));
                }
                out.println(row.append(" |"));
            }
        }

        out.println();
        out.println("Issue 18 targets");
        for (String us : ours) {
            checkTargets(out, us, peers);
        }
    }

    private void checkTargets(PrintStream out, String us, List<String> peers) {
        for (String m : List.of("down", "up")) {
            String best = best(peers, m, true);
            check(out, us + ": throughput " + m + " >= 1.2x best peer (" + best + ")", median(us, m) / median(best, m), 1.2, true);
        }
        check(out, us + ": CPU/GB <= 1.2x floor", median(us, "cpu_gb") / median("floor", "cpu_gb"), 1.2, false);
        String best = best(peers, "sessions", true);
        check(out, us + ": sessions/s at 50 >= 1.2x best peer (" + best + ")", median(us, "sessions") / median(best, "sessions"), 1.2, true);
        String bestOne = best(peers, "sessions1", true);
        check(out, us + ": sessions/s one at a time >= 1.0x best peer (" + bestOne + ")",
                median(us, "sessions1") / median(bestOne, "sessions1"), 1.0, true);
        if (values.containsKey(us + "-auth")) {
            check(out, us + ": sessions/s with password >= 0.95x without", median(us + "-auth", "sessions") / median(us, "sessions"), 0.95, true);
            check(out, us + ": sessions/s one at a time with password >= 0.95x without",
                    median(us + "-auth", "sessions1") / median(us, "sessions1"), 0.95, true);
        }
        for (String m : List.of("ping50", "ping99", "ttfb")) {
            String bestLatency = best(peers, m, false);
            check(out, us + ": " + m + " <= best peer (" + bestLatency + ")", median(us, m) / median(bestLatency, m), 1.0, false);
        }
        double idle = median(us, "idle");
        check(out, us + ": RSS per idle tunnel <= 10 KB (" + (Double.isNaN(idle) ? "-" : String.format(Locale.ROOT, "%.1f KB", idle)) + ")",
                idle / 10.0, 1.0, false);
    }

    private String best(List<String> peers, String metric, boolean higherBetter) {
        String best = null;
        for (String peer : peers) {
            double v = median(peer, metric);
            if (!Double.isNaN(v) && (best == null || (higherBetter ? v > median(best, metric) : v < median(best, metric)))) {
                best = peer;
            }
        }
        return best == null ? "none" : best;
    }

    private static void check(PrintStream out, String what, double ratio, double limit, boolean atLeast) {
        String verdict = !Double.isFinite(ratio) ? "n/a " : (atLeast ? ratio >= limit : ratio <= limit) ? "MET " : "MISS";
        out.printf(Locale.ROOT, "  %s %-70s ratio %s%n", verdict, what, Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.2f", ratio) : "-");
    }

    private static void printHeader(PrintStream out, String first) {
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "| %-22s", first));
        StringBuilder rule = new StringBuilder("|" + "-".repeat(24));
        for (Metric metric : METRICS) {
            header.append(String.format(Locale.ROOT, " | %11s", metric.header));
            rule.append("|").append("-".repeat(13));
        }
        out.println(header.append(" |"));
        out.println(rule.append("|"));
    }

    private static String fmt(Metric metric, double v) {
        return String.format(Locale.ROOT, metric.format, v);
    }

    private static double number(String text) {
        if (text == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
