package dev.sallyport.spring.boot;

import dev.sallyport.api.AccessRule;
import dev.sallyport.api.AuthBackend;
import dev.sallyport.api.AuthResult;
import dev.sallyport.api.ConnectionPool;
import dev.sallyport.api.Credentials;
import dev.sallyport.api.Decision;
import dev.sallyport.api.LiveSession;
import dev.sallyport.api.MetricsSink;
import dev.sallyport.api.Principal;
import dev.sallyport.api.SessionListener;
import dev.sallyport.api.SessionSummary;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The application's beans: backends, rules and pools picked up in @Order order, sinks and session
 * listeners hear the session, customizers run; its MeterRegistry gets the proxy's meters.
 */
@Timeout(60)
class SallyportBeansTest {

    /** Who was asked, in order: backends, rules, pools and sinks append their names. */
    static final List<String> CALLS = new CopyOnWriteArrayList<>();

    /** Declared in the reverse of their @Order, so that only the order can put them right. */
    @Configuration(proxyBeanMethods = false)
    static class Beans {
        @Bean
        @Order(2)
        AuthBackend secondBackend() {
            return (credentials, context) -> {
                CALLS.add("backend-2");
                String user = ((Credentials.UsernamePassword) credentials).username();
                return CompletableFuture.completedFuture(AuthResult.success(Principal.of(user)));
            };
        }

        @Bean
        @Order(1)
        AuthBackend firstBackend() {
            return (credentials, context) -> {
                CALLS.add("backend-1");
                return CompletableFuture.completedFuture(AuthResult.notMine());
            };
        }

        @Bean
        @Order(2)
        AccessRule secondRule() {
            return request -> {
                CALLS.add("rule-2");
                return Decision.abstain();
            };
        }

        @Bean
        @Order(1)
        AccessRule firstRule() {
            return request -> {
                CALLS.add("rule-1");
                return Decision.abstain();
            };
        }

        @Bean
        @Order(2)
        ConnectionPool secondPool() {
            return (address, eventLoop, dialer) -> {
                CALLS.add("pool-2");
                return dialer.dial(address, eventLoop);
            };
        }

        @Bean
        @Order(1)
        ConnectionPool firstPool() {
            return (address, eventLoop, dialer) -> {
                CALLS.add("pool-1");
                return dialer.dial(address, eventLoop);
            };
        }

        @Bean
        MetricsSink recordingSink() {
            return new MetricsSink() {
                @Override
                public void sessionClosed(SessionSummary summary) {
                    CALLS.add("sink:" + summary.user());
                }
            };
        }

        @Bean
        SessionListener recordingListener() {
            return new SessionListener() {
                @Override
                public void opened(LiveSession session) {
                    CALLS.add("opened:" + session.user());
                }
            };
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        SallyportBuilderCustomizer customizer() {
            return builder -> CALLS.add("customizer");
        }
    }

    @Test
    void backendsRulesAndPools_areUsedInOrderOrder_sinksAndMeterRegistryHearTheSession() throws Exception {
        CALLS.clear();
        try (TcpServer echo = TcpServer.echo()) {
            SallyportPropertiesTest.RUNNER.withUserConfiguration(Beans.class)
                    .withPropertyValues("sallyport.listeners.socks5=0", "sallyport.metrics.name=app-proxy")
                    .run(context -> {
                        assertThat(CALLS).containsExactly("customizer");
                        InetSocketAddress socks = context.getBean(SallyportProxy.class).manager().address("socks5");
                        try (Socks5Client client = Socks5Client.open(socks)) {
                            assertThat(client.login("carol", "any")).isZero();
                            assertThat(client.connect(echo.address()).succeeded()).isTrue();
                        }
                        await().untilAsserted(() -> assertThat(CALLS).contains("sink:carol"));
                        // The listener hears "opened" on its own schedule (SessionListener), so it is checked apart.
                        assertThat(CALLS).contains("opened:carol");
                        assertThat(CALLS.stream().filter(call -> !call.startsWith("opened:")))
                                .containsExactly("customizer", "backend-1", "backend-2", "rule-1", "rule-2", "pool-1",
                                        "sink:carol");
                        MeterRegistry registry = context.getBean(MeterRegistry.class);
                        await().untilAsserted(() -> assertThat(registry.find("proxy.sessions")
                                .tag("proxy", "app-proxy").counters().stream().mapToDouble(c -> c.count()).sum())
                                .isEqualTo(1.0));
                        assertThat(registry.find("proxy.connections.accepted").tag("proxy", "app-proxy").counter())
                                .isNotNull();
                    });
        }
    }

    @Test
    void metricsEnabledFalse_leavesTheRegistryAlone() {
        SallyportPropertiesTest.RUNNER.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("sallyport.listeners.socks5=0", "sallyport.metrics.enabled=false")
                .run(context -> assertThat(context.getBean(MeterRegistry.class).find("proxy.connections.accepted")
                        .meters()).isEmpty());
    }
}
