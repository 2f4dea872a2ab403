package dev.sallyport.bench.fuzz;

import net.jqwik.api.Group;
import net.jqwik.api.PropertyDefaults;

/**
 * Fuzzing of every decoder of the frontends, the short run of the default build: each property of
 * {@link SocksProperties} (SOCKS5 greeting, RFC 1929 login, SOCKS5 request, SOCKS4/4a),
 * {@link DatagramProperties} (the SOCKS5 UDP header), {@link HttpProperties} (the HTTP request
 * head) and {@link ProxyProtocolProperties} (the PROXY protocol header of a listener), 1,000 tries
 * each, seconds in all.
 *
 * <p>The long run, the same properties tagged {@code fuzz}, one class per decoder
 * ({@code *FuzzLongTest}), 1,000,000 tries each unless {@code -Dfuzz.tries} says otherwise, in
 * {@code -Dfuzz.forks} JVMs at once (default 2), from the repository root:
 *
 * <pre>
 * mvn -B -pl proxy-bench -am -Pfuzz verify -Dfuzz.tries=1000000 -Dfuzz.forks=4
 * </pre>
 *
 * jqwik reports each property's tries, seed and where the inputs ended (statistics); each class
 * prints its input count and the longest input's time, and every 100,000 inputs a progress line.
 * A leak (the per-input allocator check, or Netty's PARANOID detector after each class) fails the
 * run; so does an input running over 10 s, and a fork hung past {@code -Dfuzz.timeout} seconds is
 * killed. A failing input is shrunk by jqwik and kept in {@code proxy-bench/target/jqwik-database},
 * so that the next run tries it first; it then belongs in {@link FuzzFindingsTest} as an example.
 */
@PropertyDefaults(tries = 1000)
class DecoderFuzzTest {

    @Group
    class Socks5Greeting extends SocksProperties.Greeting {
    }

    @Group
    class Socks5Login extends SocksProperties.Login {
    }

    @Group
    class Socks5Request extends SocksProperties.Request {
    }

    @Group
    class Socks4 extends SocksProperties.Socks4 {
    }

    @Group
    class Datagrams extends DatagramProperties {
    }

    @Group
    class Http extends HttpProperties {
    }

    @Group
    class ProxyProtocol extends ProxyProtocolProperties {
    }
}
