package dev.sallyport.server;

import dev.sallyport.api.SessionSummary;
import dev.sallyport.core.ProxyManager;
import dev.sallyport.testkit.SessionRecorder;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code serve --upstream/--route/--egress} and their config-file keys. */
@Timeout(60)
class RouteFlagsTest {

    private static ServeCommand parse(String... args) throws ConfigFile.UsageException {
        CommandLine line = new CommandLine(new Main()).setOverwrittenOptionsAllowed(true);
        return (ServeCommand) line.parseArgs(ConfigFile.expand(args)).subcommand().commandSpec().userObject();
    }

    @Test
    void serve_routesThroughTheUpstreamItNames() throws Exception {
        SessionRecorder far = new SessionRecorder();
        try (TcpServer echo = TcpServer.echo();
             ProxyManager upstream = ProxyManager.builder().socks5(0).user("carol", "pw;1").metrics(far).start();
             ProxyManager proxy = parse("serve", "--socks5", "0",
                     "--upstream", "far=socks5://carol:pw%3B1@127.0.0.1:" + upstream.address("socks5").getPort()
                             + ";strategy=failover;max-fails=2;fail-timeout=5s",
                     "--route", "port:" + echo.port() + "=far").start(null, null);
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("127.0.0.1", echo.port()).rep()).isZero();
            client.socket().close();
            List<SessionSummary> sessions = far.awaitSessions(1, Duration.ofSeconds(10));
            assertThat(sessions.get(0).user()).isEqualTo("carol");
        }
    }

    @Test
    void configKeys_areTheFlags_routesInTheOrderOfTheirNumber(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sallyport.properties"), String.join("\n",
                "upstream.eu=socks5://10.0.0.5:1080,http://10.0.0.6:3128;strategy=least-active",
                "route.10=*=eu", "route.2=attr:upstream=eu=eu", "route.1=port:25=deny", "egress=127.0.0.2", ""),
                StandardCharsets.UTF_8);
        RouteFlags fromFile = parse("serve", "--config", file.toString()).routing;
        RouteFlags fromFlags = parse("serve", "--upstream", "eu=socks5://10.0.0.5:1080,http://10.0.0.6:3128;strategy=least-active",
                "--route", "port:25=deny", "--route", "attr:upstream=eu=eu", "--route", "*=eu", "--egress", "127.0.0.2").routing;
        assertThat(fromFile.configUpstreams).isEqualTo(fromFlags.upstreams);
        assertThat(fromFile.routes).isEqualTo(fromFlags.routes).containsExactly("port:25=deny", "attr:upstream=eu=eu", "*=eu");
        assertThat(fromFile.egress).isEqualTo(fromFlags.egress);
    }

    @Test
    void anUpstreamPasswordOnTheCommandLine_logsOneWarn_butNotFromThePrivateConfigFile(@TempDir Path dir) throws Exception {
        assertThat(CliSettingsTest.logLinesBefore("listening", "serve", "--socks5", "0",
                "--upstream", "eu=socks5://u:hunter2@127.0.0.1:1081"))
                .singleElement().asString().contains(" WARN ").contains("--upstream with USER:PASS shows")
                .doesNotContain("hunter2");
        Path file = Files.writeString(dir.resolve("sallyport.properties"), "upstream.eu=socks5://u:hunter2@127.0.0.1:1081\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(CliSettingsTest.logLinesBefore("listening", "serve", "--socks5", "0", "--config", file.toString()))
                .isEmpty();
        assertThat(CliSettingsTest.logLinesBefore("listening", "serve", "--socks5", "0",
                "--upstream", "eu=socks5://u@127.0.0.1:1081")).as("a user name alone is no secret").isEmpty();
        assertThat(CliSettingsTest.logLinesBefore("listening", "serve", "--socks5", "0",
                "--upstream", "eu=socks5://127.0.0.1:1081>http://u:hunter2@127.0.0.1:3128")).as("the second hop's password")
                .singleElement().asString().contains("--upstream with USER:PASS shows").doesNotContain("hunter2");
    }

    @Test
    void aPasswordWithAnUnencodedSeparator_isNeverQuotedInTheError() {
        for (String text : new String[] {"eu=socks5://ops:Hunter2,Tail@127.0.0.1:31080",
                "eu=socks5://ops:Hunter2;Tail@127.0.0.1:31080", "eu=http://ops:Hunter2>Tail@127.0.0.1:3128"}) {
            assertThatThrownBy(() -> RouteFlags.group(text)).as(text).isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(e.getMessage()).startsWith("group eu does not parse")
                            .doesNotContain("Hunter2").doesNotContain("Tail"));
        }
    }

    @Test
    void aFileWithUpstreamCredentials_countsAsHoldingPasswords(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sallyport.properties"), "upstream.eu=socks5://u:secret@10.0.0.5:1080\n");
        assertThat(ConfigFile.secrets(file)).isEqualTo("holds passwords");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--upstream | eu                                    | --upstream: 'eu' (expected: NAME=URL[,URL...][;OPTION=VALUE...])",
        "--upstream | eu=ftp://10.0.0.5:21                  | --upstream: upstream: 'ftp://10.0.0.5:21' (expected: scheme socks5, http or https)",
        "--upstream | eu=socks5://u:hunter2@10.0.0.5        | --upstream: upstream: 'socks5://u:***@10.0.0.5' (expected: host and port 1-65535)",
        "--upstream | eu=socks5://10.0.0.5:1080;strategy=x  | --upstream: strategy: 'x' (expected: round-robin, weighted-random, least-active, hash-user, hash-destination or failover)",
        "--upstream | eu=socks5://10.0.0.5:1080;max-fails=0 | --upstream: maxFails: 0 (expected: 1-1000)",
        "--upstream | eu=socks5://10.0.0.5:1080;fail-timeout=soon | --upstream: fail-timeout: 'soon' (expected: a duration such as 500ms, 10s or 5m)",
        "--route    | nothing                               | --route: 'nothing' (expected: MATCH=TARGET)",
        "--route    | port:x=direct                         | --route: route port:x: 'x' (expected: ports 0-65535 such as 80,443,8000-8100)",
        "--route    | *=nowhere                             | --route: route *: target 'nowhere' (expected: direct, direct:ADDR, deny or a group: [])",
        "--egress   | 10.0.0.300                            | --egress: egress: '10.0.0.300' (expected: an IP address literal)",
    })
    void aBadValue_isAUsageErrorNamingTheFlag_neverThePassword(String flag, String value, String message) throws Exception {
        ServeCommand serve = parse("serve", "--socks5", "0", flag, value);
        assertThatThrownBy(() -> serve.start(null, null))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessage(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    }

    @Test
    void aBadFlag_exitsTwo() throws Exception {
        assertThat(CliSettingsTest.usageError("serve", "--socks5", "0", "--route", "*=nowhere"))
                .startsWith("sallyport: --route: route *: target 'nowhere'");
    }
}
