package dev.sallyport.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load generator's command line: {@code --name value} pairs, validated as read. Every default
 * is listed in {@link #USAGE}; {@code --quick} switches to the short settings of a smoke run.
 */
final class Options {

    static final String USAGE = """
            usage: load.sh [--target SPEC] [--modes LIST] [options]
              --target SPEC          direct | socks5://[USER:PASS@]127.0.0.1:PORT | http://[USER:PASS@]127.0.0.1:PORT  (direct)
              --name LABEL           label of the RESULT lines                          (the target, password hidden)
              --round N              round number copied into the RESULT lines          (0)
              --proxy-pid PID        process whose CPU (utime+stime) and RSS are read, with its children
              --modes LIST           throughput,sessions,pingpong,ttfb,idle            (throughput,sessions,pingpong,ttfb)
              --direction LIST       throughput directions: down,up                     (down,up)
              --tunnels LIST         throughput tunnel counts                           (1)
              --bytes SIZE           bytes per tunnel (k, m, g: binary)                 (1g)
              --warmup-bytes SIZE    one-tunnel transfer before each direction          (128m)
              --throughput-cap DUR   time cap of one throughput measurement             (10s)
              --concurrency LIST     sessions in flight                                 (50)
              --warmup DUR           sessions: warm-up window                           (500ms)
              --duration DUR         sessions: measurement window                       (3s)
              --max-sessions N       sessions: at most this many per run                (5000000)
              --ping-size N          ping-pong message size in bytes                    (32)
              --ping-count N         ping-pong: at most this many round trips           (1000000)
              --ping-duration DUR    ping-pong: at most this long                       (2s)
              --ttfb-count N         time to first byte: at most this many tunnels      (20000)
              --ttfb-duration DUR    time to first byte: at most this long              (1s)
              --idle N               idle tunnels to hold                               (8000)
              --idle-cap DUR         time cap for opening them                          (60s)
              --client-threads N     client event-loop threads                          (1)
              --server-threads N     destination server event-loop threads              (1)
              --quick                short settings: 64m, 1s sessions, 0.5s latency, 1000 idle
            DUR: 500ms, 2s, 1m. All traffic stays on loopback: proxies must listen on 127.0.0.0/8 or ::1.
            """;

    Target target = Target.direct();
    String name;
    int round;
    long proxyPid;
    List<String> modes = List.of("throughput", "sessions", "pingpong", "ttfb");
    List<ThroughputRun.Direction> directions = List.of(ThroughputRun.Direction.DOWN, ThroughputRun.Direction.UP);
    List<Integer> tunnels = List.of(1);
    long bytes = 1L << 30;
    long warmupBytes = 128L << 20;
    Duration throughputCap = Duration.ofSeconds(10);
    List<Integer> concurrency = List.of(50);
    Duration warmup = Duration.ofMillis(500);
    Duration duration = Duration.ofSeconds(3);
    long maxSessions = 5_000_000;
    int pingSize = 32;
    long pingCount = 1_000_000;
    Duration pingDuration = Duration.ofSeconds(2);
    long ttfbCount = 20_000;
    Duration ttfbDuration = Duration.ofSeconds(1);
    int idle = 8_000;
    Duration idleCap = Duration.ofSeconds(60);
    int clientThreads = 1;
    int serverThreads = 1;

    static Options parse(String... args) {
        Options o = new Options();
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--quick")) {
                o.quick();
                continue;
            }
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new IllegalArgumentException("help");
            }
            if (!flag.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + ": (expected: --option value; see --help)");
            }
            given.put(flag, args[++i]);
        }
        given.forEach(o::set);
        if (o.name == null) {
            o.name = o.target.toString().replaceAll("[\\s=]", "_");
        }
        return o;
    }

    private void quick() {
        bytes = 64L << 20;
        warmupBytes = 16L << 20;
        throughputCap = Duration.ofSeconds(5);
        warmup = Duration.ofMillis(200);
        duration = Duration.ofSeconds(1);
        pingDuration = Duration.ofMillis(500);
        ttfbDuration = Duration.ofMillis(500);
        idle = 1_000;
        idleCap = Duration.ofSeconds(20);
    }

    private void set(String flag, String value) {
        switch (flag) {
            case "--target" -> target = Target.parse(value);
            case "--name" -> name = value.replaceAll("[\\s=]", "_");
            case "--round" -> round = positive(flag, value, 0);
            case "--proxy-pid" -> proxyPid = Long.parseLong(value);
            case "--modes" -> modes = modes(value);
            case "--direction" -> directions = list(value).stream()
                    .map(d -> ThroughputRun.Direction.valueOf(d.toUpperCase(Locale.ROOT))).toList();
            case "--tunnels" -> tunnels = ints(flag, value);
            case "--bytes" -> bytes = size(flag, value);
            case "--warmup-bytes" -> warmupBytes = size(flag, value);
            case "--throughput-cap" -> throughputCap = duration(flag, value);
            case "--concurrency" -> concurrency = ints(flag, value);
            case "--warmup" -> warmup = duration(flag, value);
            case "--duration" -> duration = duration(flag, value);
            case "--max-sessions" -> maxSessions = positive(flag, value, 1);
            case "--ping-size" -> pingSize = positive(flag, value, 1);
            case "--ping-count" -> pingCount = positive(flag, value, 1);
            case "--ping-duration" -> pingDuration = duration(flag, value);
            case "--ttfb-count" -> ttfbCount = positive(flag, value, 1);
            case "--ttfb-duration" -> ttfbDuration = duration(flag, value);
            case "--idle" -> idle = positive(flag, value, 1);
            case "--idle-cap" -> idleCap = duration(flag, value);
            case "--client-threads" -> clientThreads = positive(flag, value, 1);
            case "--server-threads" -> serverThreads = positive(flag, value, 1);
            default -> throw new IllegalArgumentException(flag + ": unknown option (see --help)");
        }
    }

    private static List<String> modes(String value) {
        List<String> modes = list(value);
        for (String mode : modes) {
            if (!List.of("throughput", "sessions", "pingpong", "ttfb", "idle").contains(mode)) {
                throw new IllegalArgumentException("--modes: " + mode + " (expected: throughput, sessions, pingpong, ttfb, idle)");
            }
        }
        return modes;
    }

    private static List<String> list(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",", -1)) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    private static List<Integer> ints(String flag, String value) {
        return list(value).stream().map(v -> positive(flag, v, 1)).toList();
    }

    private static int positive(String flag, String value, int min) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: an integer >= " + min + ")");
        }
        if (n < min) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: >= " + min + ")");
        }
        return n;
    }

    static long size(String flag, String value) {
        String v = value.toLowerCase(Locale.ROOT);
        int shift = switch (v.isEmpty() ? ' ' : v.charAt(v.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        try {
            long n = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: a positive size like 64k, 256m, 1g)");
        }
    }

    static Duration duration(String flag, String value) {
        try {
            Duration d;
            if (value.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            } else if (value.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(value.substring(0, value.length() - 1)) * 1000));
            } else if (value.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
            } else {
                throw new NumberFormatException();
            }
            if (d.isNegative() || d.isZero()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: a positive duration like 500ms, 2s, 1m)");
        }
    }
}
