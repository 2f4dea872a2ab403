package dev.sallyport.spring.boot;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.spring.boot.internal.SallyportHealthAutoConfiguration;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The sallyport.* properties: what they configure, and a bad one failing the context by its name. */
@Timeout(60)
class SallyportPropertiesTest {

    static final ApplicationContextRunner RUNNER = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SallyportAutoConfiguration.class,
                    SallyportHealthAutoConfiguration.class));

    private void assertFailsNaming(String message, String... properties) {
        RUNNER.withPropertyValues(properties).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining(message);
        });
    }

    @Test
    void properties_startProxyWithUsersAndRules_thatTunnelsForAValidLogin() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "sallyport.users.alice=s3cret",
                    "sallyport.rules.allow-ports=" + echo.port(), "sallyport.timeouts.connect=3s").run(context -> {
                ProxyManager manager = context.getBean(SallyportProxy.class).manager();
                assertThat(manager.address("socks5").getAddress().isLoopbackAddress()).isTrue();
                try (Socks5Client client = Socks5Client.open(manager.address("socks5"))) {
                    assertThat(client.login("alice", "s3cret")).isZero();
                    assertThat(client.connect(echo.address()).succeeded()).isTrue();
                }
                try (Socks5Client client = Socks5Client.open(manager.address("socks5"))) {
                    assertThat(client.login("alice", "s3cret")).isZero();
                    assertThat(client.connect("127.0.0.1", echo.port() == 1 ? 2 : 1).succeeded())
                            .as("a port outside sallyport.rules.allow-ports").isFalse();
                }
            });
        }
    }

    @Test
    void transport_takesTheOperatorsNames_andABadOneFailsNamingTheProperty() {
        RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "sallyport.transport=nio")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(SallyportProxy.class));
        // Spring's own binder refuses a value that names no constant, naming the property.
        RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "sallyport.transport=fast").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasStackTraceContaining("Failed to bind properties under 'sallyport.transport'");
        });
    }

    @Test
    void enabledFalse_startsNoProxy() {
        RUNNER.withPropertyValues("sallyport.enabled=false", "sallyport.listeners.socks5=70000")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SallyportProxy.class));
    }

    @Test
    void drainTimeout_defaultsToTheShutdownPhaseTimeout_andSallyportsOwnWins() {
        RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "spring.lifecycle.timeout-per-shutdown-phase=7s")
                .run(context -> assertThat(context.getBean(SallyportProxy.class).drainTimeout())
                        .isEqualTo(Duration.ofSeconds(7)));
        RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "spring.lifecycle.timeout-per-shutdown-phase=7s",
                "sallyport.drain-timeout=2s")
                .run(context -> assertThat(context.getBean(SallyportProxy.class).drainTimeout())
                        .isEqualTo(Duration.ofSeconds(2)));
        RUNNER.withPropertyValues("sallyport.listeners.socks5=0")
                .run(context -> assertThat(context.getBean(SallyportProxy.class).drainTimeout())
                        .isEqualTo(Duration.ofSeconds(30)));
    }

    @Test
    void portOutOfRange_failsNamingTheProperty() {
        assertFailsNaming("sallyport.listeners.socks5: 70000 (expected: a port 0-65535",
                "sallyport.listeners.socks5=70000");
    }

    @Test
    void noListener_failsNamingTheListeners() {
        assertFailsNaming("sallyport.listeners: none (expected: at least one of", "sallyport.bind=127.0.0.1");
    }

    @Test
    void badCidr_failsNamingTheRuleProperty() {
        assertFailsNaming("sallyport.rules.deny: 10.0.0.0/33 (expected: an address or CIDR",
                "sallyport.listeners.socks5=0", "sallyport.rules.deny=192.168.0.0/16,10.0.0.0/33");
    }

    @Test
    void negativeTimeout_failsNamingTheProperty() {
        assertFailsNaming("sallyport.timeouts.connect: PT-1S (expected:",
                "sallyport.listeners.socks5=0", "sallyport.timeouts.connect=-1s");
    }

    @Test
    void tlsCertificateWithoutKey_failsNamingTheMissingProperty() {
        assertFailsNaming("sallyport.tls.private-key: missing (expected: set together with tls-cert)",
                "sallyport.listeners.http=0", "sallyport.tls.certificate=/nonexistent.pem");
    }

    @Test
    void badUser_failsNamingTheUser_neverThePassword() {
        RUNNER.withPropertyValues("sallyport.listeners.socks5=0", "sallyport.users.alice=ok-password",
                "sallyport.users.bob=" + "p".repeat(1100) + "TOPSECRET").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("sallyport.users.bob: ")
                    .hasMessageNotContaining("TOPSECRET");
        });
    }

    @Test
    void badBandwidth_failsNamingTheLimitProperty() {
        assertFailsNaming("sallyport.limits.bandwidth: 10X (expected: bytes per second",
                "sallyport.listeners.socks5=0", "sallyport.limits.bandwidth=10X");
    }
}
