package dev.sallyport.spring.boot;

import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The health indicator across the lifecycle: UP while serving, DOWN while draining and once stopped. */
@Timeout(60)
class SallyportHealthTest {

    @Test
    void health_upWhileServing_downWhileDraining_downOnceStopped() throws Exception {
        try (TcpServer echo = TcpServer.echo()) {
            SallyportLifecycleTest.DRAINING.run(context -> {
                HealthIndicator indicator = context.getBean("sallyportHealthIndicator", HealthIndicator.class);
                SallyportProxy proxy = context.getBean(SallyportProxy.class);
                InetSocketAddress socks = proxy.manager().address("socks5");
                Health up = indicator.health();
                assertThat(up.getStatus()).isEqualTo(Status.UP);
                assertThat(up.getDetails()).containsEntry("state", "serving")
                        .containsEntry("listeners", Map.of("socks5", socks.toString()));

                CountDownLatch stopped = new CountDownLatch(1);
                try (Socket tunnel = SallyportLifecycleTest.openTunnel(socks, echo.address())) {
                    await().until(() -> proxy.manager().sessions().size() == 1);

                    proxy.stop(stopped::countDown);
                    Health draining = indicator.health();
                    assertThat(draining.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(draining.getDetails()).containsEntry("state", "draining");
                    assertThat(stopped.getCount()).as("still draining the open tunnel").isEqualTo(1);
                }
                assertThat(stopped.await(20, TimeUnit.SECONDS)).isTrue();
                assertThat(proxy.isRunning()).isFalse();
                Health down = indicator.health();
                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                assertThat(down.getDetails()).containsEntry("state", "stopped");
            });
        }
    }

    @Test
    void healthIndicatorDisabled_byManagementProperty() {
        SallyportPropertiesTest.RUNNER.withPropertyValues("sallyport.listeners.socks5=0",
                        "management.health.sallyport.enabled=false")
                .run(context -> assertThat(context).hasSingleBean(SallyportProxy.class)
                        .doesNotHaveBean("sallyportHealthIndicator"));
    }
}
