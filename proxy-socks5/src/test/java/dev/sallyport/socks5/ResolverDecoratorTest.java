package dev.sallyport.socks5;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.Resolver;
import dev.sallyport.testkit.Socks5Client;
import dev.sallyport.testkit.TcpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host's resolver that wraps {@link Resolver#system()} works like the system resolver itself
 * (a name from the hosts file, so nothing reaches a DNS server).
 */
@Timeout(60)
class ResolverDecoratorTest {

    @Test
    void resolverWrappingTheSystemResolver_resolvesTargets() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        Resolver recording = host -> {
            asked.add(host);
            return Resolver.system().resolve(host);
        };
        try (TcpServer echo = TcpServer.echo();
             ProxyManager proxy = ProxyManager.builder().socks5(0).resolver(recording).start();
             Socks5Client client = Socks5Client.open(proxy.address("socks5"))) {
            assertThat(client.noAuth().connect("localhost", echo.port()).rep()).isZero();
            client.send(new byte[] {42});
            assertThat(client.read(1)).containsExactly(42);
        }
        assertThat(asked).containsExactly("localhost");
    }
}
