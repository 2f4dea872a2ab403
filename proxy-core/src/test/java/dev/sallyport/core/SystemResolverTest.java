package dev.sallyport.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Resolver#system()} is a resolver like any other: called directly, as a resolver that
 * wraps it calls it, it resolves (here a name of the hosts file, so nothing reaches a DNS server).
 */
@Timeout(30)
class SystemResolverTest {

    @Test
    void system_calledDirectly_resolvesLocalhost() throws Exception {
        List<InetAddress> addresses = Resolver.system().resolve("localhost").toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(addresses).isNotEmpty().allSatisfy(address -> assertThat(address.isLoopbackAddress()).isTrue());
    }

    @Test
    void system_wrapped_resolvesThroughTheWrapper() throws Exception {
        Resolver firstOnly = host -> Resolver.system().resolve(host).thenApply(all -> all.subList(0, 1));
        assertThat(firstOnly.resolve("localhost").toCompletableFuture().get(10, TimeUnit.SECONDS)).hasSize(1);
    }
}
