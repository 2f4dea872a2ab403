package dev.sallyport.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sallyport status --metrics-url URL}: reads a running server's Prometheus metrics and prints
 * listeners, active connections and totals by protocol, bytes each way and rejections.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show what a running server is doing, read from its --metrics endpoint.")
final class StatusCommand implements Callable<Integer> {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--metrics-url", paramLabel = "URL", required = true,
            description = "The server's metrics endpoint, e.g. http://127.0.0.1:9090/metrics.")
    URI url;

    @Option(names = "--metrics-token-file", paramLabel = "FILE",
            description = "The token the server's --metrics-token-file holds, sent as 'Authorization: Bearer TOKEN'.")
    java.nio.file.Path tokenFile;

    @Option(names = "--watch", paramLabel = "SECONDS",
            description = "Refresh every SECONDS seconds until interrupted (default: print once).")
    Integer watch;

    @Override
    public Integer call() throws Exception {
        if (watch != null && watch < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--watch: " + watch + " (expected: >= 1)");
        }
        HttpRequest.Builder request = MetricsPort.request(spec.commandLine(), url, tokenFile);
        HttpClient client = HttpClient.newBuilder().connectTimeout(MetricsPort.TIMEOUT).build();
        PrintWriter out = spec.commandLine().getOut();
        do {
            String text;
            try {
                HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode() + " from " + url);
                }
                text = response.body();
            } catch (IOException e) {
                throw new IOException("status: cannot read " + url + " (" + (e.getMessage() == null ? e : e.getMessage()) + ")", e);
            }
            if (watch != null) {
                out.print("\033[H\033[2J");
            }
            out.print(render(parse(text)));
            out.flush();
            if (watch != null) {
                Thread.sleep(watch * 1000L);
            }
        } while (watch != null);
        return 0;
    }

    record Sample(String name, Map<String, String> labels, double value) {
    }

    static List<Sample> parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            try {
                samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
            } catch (NumberFormatException ignored) {
                // Not a sample line we understand.
            }
        }
        return samples;
    }

    static String render(List<Sample> samples) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-10s %-24s %s%n", "LISTENER", "ADDRESS", "ACCEPTING"));
        for (Sample s : samples) {
            if (s.name().equals("proxy_listener")) {
                out.append(String.format("%-10s %-24s %s%n", s.labels().get("protocol"), s.labels().get("address"),
                        s.value() > 0 ? "yes" : "no (draining)"));
            }
        }
        TreeSet<String> protocols = new TreeSet<>();
        Map<String, Double> active = new TreeMap<>();
        Map<String, Double> accepted = new TreeMap<>();
        Map<String, Double> sessions = new TreeMap<>();
        Map<String, Double> up = new TreeMap<>();
        Map<String, Double> down = new TreeMap<>();
        Map<String, Double> rejections = new TreeMap<>();
        Map<String, Double> authFailures = new TreeMap<>();
        for (Sample s : samples) {
            String protocol = s.labels().get("protocol");
            switch (s.name()) {
                case "proxy_connections_active" -> add(active, protocol, s.value(), protocols);
                case "proxy_connections_accepted_total" -> add(accepted, protocol, s.value(), protocols);
                case "proxy_sessions_total" -> add(sessions, protocol, s.value(), protocols);
                case "proxy_bytes_total" -> add("up".equals(s.labels().get("direction")) ? up : down, protocol, s.value(), protocols);
                case "proxy_rejections_total" -> rejections.merge(s.labels().get("reason"), s.value(), Double::sum);
                case "proxy_auth_failures_total" -> authFailures.merge(protocol + "/" + s.labels().get("reason"), s.value(), Double::sum);
                default -> { }
            }
        }
        out.append(String.format("%n%-10s %8s %10s %10s %12s %12s%n", "PROTOCOL", "ACTIVE", "ACCEPTED", "SESSIONS",
                "BYTES UP", "BYTES DOWN"));
        for (String protocol : protocols) {
            out.append(String.format("%-10s %8.0f %10.0f %10.0f %12s %12s%n", protocol, active.getOrDefault(protocol, 0.0),
                    accepted.getOrDefault(protocol, 0.0), sessions.getOrDefault(protocol, 0.0),
                    bytes(up.getOrDefault(protocol, 0.0)), bytes(down.getOrDefault(protocol, 0.0))));
        }
        out.append(String.format("%nREJECTIONS    %s%nAUTH FAILURES %s%n", counts(rejections), counts(authFailures)));
        return out.toString();
    }

    private static void add(Map<String, Double> map, String protocol, double value, Set<String> protocols) {
        if (protocol != null) {
            protocols.add(protocol);
            map.merge(protocol, value, Double::sum);
        }
    }

    private static String counts(Map<String, Double> counts) {
        if (counts.values().stream().allMatch(v -> v == 0)) {
            return "none";
        }
        StringBuilder line = new StringBuilder();
        counts.forEach((k, v) -> {
            if (v > 0) {
                line.append(line.length() == 0 ? "" : "  ").append(k).append('=').append(String.format("%.0f", v));
            }
        });
        return line.toString();
    }

    static String bytes(double value) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? String.format("%.0f %s", value, units[unit]) : String.format("%.1f %s", value, units[unit]);
    }
}
