package dev.sallyport.bench.load;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.testkit.SallyportExtension;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every mode of the load generator for a moment against an in-process proxy, so the
 * harness keeps working; no figure is asserted (performance is measured by compare.sh, not here).
 */
@Timeout(120)
class LoadGeneratorSmokeTest {

    private static final String[] SHORT = {
        "--modes", "throughput,sessions,pingpong,ttfb,idle",
        "--bytes", "4m", "--warmup-bytes", "1m", "--tunnels", "1,2", "--throughput-cap", "20s",
        "--concurrency", "8", "--warmup", "100ms", "--duration", "300ms",
        "--ping-duration", "200ms", "--ttfb-duration", "200ms", "--idle", "40", "--idle-cap", "20s",
    };

    @RegisterExtension
    static SallyportExtension open = openProxy().customize(b -> b.drainTimeout(Duration.ZERO)).build();

    @RegisterExtension
    static SallyportExtension withUsers = SallyportExtension.socks5().user("bench", "bench-secret")
            .customize(b -> b.drainTimeout(Duration.ZERO)).build();

    private static SallyportExtension.Builder openProxy() {
        SallyportExtension.Builder builder = SallyportExtension.socks5();
        return httpFrontendPresent() ? builder.http() : builder;
    }

    @Test
    void direct_everyModeRunsClean() throws Exception {
        List<Result> results = run("direct", "--modes", "throughput,sessions,pingpong,ttfb");
        assertClean(results, 7);
    }

    @Test
    void socks5_everyModeRunsClean() throws Exception {
        assertClean(run("socks5://127.0.0.1:" + open.socks5Address().getPort()), 8);
    }

    @Test
    void socks5WithPassword_everyModeRunsClean() throws Exception {
        List<Result> results = run("socks5://bench:bench-secret@127.0.0.1:" + withUsers.socks5Address().getPort());
        assertClean(results, 8);
        assertThat(results).filteredOn(r -> r.get("mode").equals("sessions")).allMatch(r -> r.get("auth").equals("yes"));
    }

    @Test
    void socks5WithWrongPassword_reportsTheFailureInsteadOfAFigure() throws Exception {
        // A proxy of its own: failed logins may slow down or lock out the client IP (127.0.0.1).
        try (ProxyManager proxy = ProxyManager.builder().socks5(0).user("bench", "bench-secret").start()) {
            List<Result> results = run("socks5://bench:wrong@127.0.0.1:" + proxy.address("socks5").getPort(),
                    "--modes", "throughput,sessions", "--concurrency", "1");
            assertThat(results).allSatisfy(r -> assertThat(r.get("error")).contains("authentication_rejected"));
        }
    }

    @Test
    void httpConnect_everyModeRunsClean() throws Exception {
        Assumptions.assumeTrue(httpFrontendPresent(), "proxy-http has no frontend yet");
        assertClean(run("http://127.0.0.1:" + open.httpAddress().getPort()), 8);
    }

    private static List<Result> run(String target, String... overrides) throws InterruptedException {
        List<String> args = new ArrayList<>(List.of(SHORT));
        args.addAll(List.of("--target", target, "--proxy-pid", Long.toString(ProcessHandle.current().pid())));
        args.addAll(List.of(overrides));
        return LoadGenerator.run(Options.parse(args.toArray(String[]::new)), result -> { });
    }

    private static void assertClean(List<Result> results, int expected) {
        assertThat(results).as("%s", results.stream().map(Result::values).toList()).hasSize(expected);
        for (Result result : results) {
            assertThat(result.get("error")).as("%s", result.values()).isNull();
            switch (result.get("mode")) {
                case "throughput" -> assertThat(result.get("verified")).as("%s", result.values()).isEqualTo("yes");
                case "sessions" -> assertThat(Long.parseLong(result.get("sessions"))).isPositive();
                case "pingpong", "ttfb" -> assertThat(Long.parseLong(result.get("count"))).isPositive();
                case "idle" -> assertThat(result.get("tunnels")).isEqualTo("40");
                default -> throw new AssertionError("unexpected mode " + result.get("mode"));
            }
        }
    }

    private static boolean httpFrontendPresent() {
        return ServiceLoader.load(Frontend.class).stream().anyMatch(p -> {
            try {
                return p.get().name().equals("http");
            } catch (RuntimeException | Error e) {
                return false;
            }
        });
    }
}
