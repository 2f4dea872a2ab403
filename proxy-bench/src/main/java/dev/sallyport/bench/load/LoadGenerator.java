package dev.sallyport.bench.load;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The end-to-end load generator: drives a SOCKS5 proxy, an HTTP CONNECT proxy or no proxy at
 * all against its own destination server on loopback, and prints one {@code RESULT} line per
 * measurement. Modes: {@code throughput}, {@code sessions}, {@code pingpong}, {@code ttfb},
 * {@code idle}; see {@link Options#USAGE}. Every loop is bounded by a count and a time.
 *
 * <pre>
 * proxy-bench/load.sh --target socks5://127.0.0.1:1080 --proxy-pid 1234 --modes throughput,sessions
 * </pre>
 *
 * Exit status: 0 when every mode ran cleanly, 1 when one reported an error, 2 on bad options.
 */
public final class LoadGenerator {

    private LoadGenerator() {
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!"help".equals(e.getMessage())) {
                System.err.println("load: " + e.getMessage());
            }
            System.err.print(Options.USAGE);
            System.exit("help".equals(e.getMessage()) ? 0 : 2);
            return;
        }
        PrintStream out = System.out;
        List<Result> results = run(options, result -> {
            out.println(result.line(prefix(options)));
            out.flush();
        });
        System.exit(results.stream().anyMatch(r -> r.get("error") != null) ? 1 : 0);
    }

    /** Runs every mode of {@code options}, handing each result to {@code sink} as it comes. */
    static List<Result> run(Options options, Consumer<Result> sink) throws InterruptedException {
        ProcStat proxy = ProcStat.of(options.proxyPid);
        List<Result> results = new ArrayList<>();
        Consumer<Result> collect = result -> {
            results.add(result);
            sink.accept(result);
        };
        try (TargetServer server = TargetServer.start(options.serverThreads);
             LoadClient client = new LoadClient(options.clientThreads)) {
            for (String mode : options.modes) {
                try {
                    runMode(mode, options, server, client, proxy, collect);
                } catch (Exception e) {
                    String why = e.getClass().getSimpleName() + ":" + e.getMessage();
                    collect.accept(new Result(mode).put("error", why.replaceAll("[\\s=]+", "_")));
                }
            }
        }
        return results;
    }

    private static void runMode(String mode, Options o, TargetServer server, LoadClient client, ProcStat proxy,
                                Consumer<Result> sink) throws Exception {
        InetSocketAddress echo = server.echoAddress();
        switch (mode) {
            case "throughput" -> {
                for (ThroughputRun.Direction direction : o.directions) {
                    ThroughputRun.run(client, o.target, server.dataAddress(), direction, 1, o.warmupBytes, o.throughputCap, null);
                    for (int tunnels : o.tunnels) {
                        sink.accept(ThroughputRun.run(client, o.target, server.dataAddress(), direction, tunnels, o.bytes,
                                o.throughputCap, proxy));
                    }
                }
            }
            case "sessions" -> {
                for (int concurrency : o.concurrency) {
                    sink.accept(SessionRun.run(client, o.target, echo, concurrency, o.warmup, o.duration, o.maxSessions, proxy));
                }
            }
            case "pingpong" -> sink.accept(LatencyRuns.pingPong(o.target, echo, o.pingSize, o.pingCount / 4, o.pingCount,
                    o.pingDuration, proxy));
            case "ttfb" -> sink.accept(LatencyRuns.timeToFirstByte(o.target, echo, o.ttfbCount / 4, o.ttfbCount,
                    o.ttfbDuration, proxy));
            case "idle" -> sink.accept(IdleRun.run(client, o.target, echo, o.idle, o.idleCap, proxy));
            default -> throw new IllegalArgumentException("mode: " + mode);
        }
    }

    private static Map<String, String> prefix(Options options) {
        Map<String, String> prefix = new LinkedHashMap<>();
        prefix.put("round", Integer.toString(options.round));
        prefix.put("target", options.name);
        return prefix;
    }
}
