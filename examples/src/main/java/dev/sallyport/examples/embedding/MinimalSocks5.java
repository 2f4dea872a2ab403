package dev.sallyport.examples.embedding;

import dev.sallyport.core.ProxyManager;

import java.net.InetSocketAddress;

/**
 * The smallest embedding: a SOCKS5 proxy on loopback, no authentication, stopped by the caller.
 *
 * <pre>{@code
 * try (ProxyManager proxy = MinimalSocks5.start(1080)) {
 *     ... // point clients at proxy.address("socks5")
 * }
 * }</pre>
 */
public final class MinimalSocks5 {

    private MinimalSocks5() {
    }

    /** Starts SOCKS5 on {@code 127.0.0.1:port} (0 for any free port). */
    public static ProxyManager start(int port) {
        return ProxyManager.builder().socks5(port).start();
    }

    /** Runs until the JVM is stopped: {@code java ... MinimalSocks5 [port]}. */
    public static void main(String[] args) throws InterruptedException {
        ProxyManager proxy = start(args.length > 0 ? Integer.parseInt(args[0]) : 1080);
        InetSocketAddress address = proxy.address("socks5");
        System.out.println("SOCKS5 proxy on " + address.getHostString() + ":" + address.getPort());
        Runtime.getRuntime().addShutdownHook(new Thread(proxy::close));
        Thread.currentThread().join();
    }
}
