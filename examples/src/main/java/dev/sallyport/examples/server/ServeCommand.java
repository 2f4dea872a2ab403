package dev.sallyport.examples.server;

import dev.sallyport.core.ProxyManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sallyport serve}: starts the listeners, prints one {@code listening PROTOCOL ADDR:PORT}
 * line per listener and then {@code ready} on stdout, and runs until SIGTERM or SIGINT, which
 * drain open tunnels and exit 0. Logs go to stderr.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the proxy. Without listener flags: SOCKS5 on 127.0.0.1:1080.")
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bind", paramLabel = "ADDR",
            description = "Address to listen on (default: 127.0.0.1). A non-loopback address needs --user.")
    String bind = "127.0.0.1";

    @Option(names = "--socks5", paramLabel = "PORT", description = "SOCKS5 port (0 for any free port).")
    Integer socks5;

    @Option(names = "--http", paramLabel = "PORT", description = "HTTP proxy port (0 for any free port).")
    Integer http;

    @Option(names = "--user", paramLabel = "NAME:PASSWORD",
            description = "A user (repeatable). Without any, no authentication: loopback only.")
    List<String> users = new ArrayList<>();

    @Option(names = "--allow-open-proxy",
            description = "Allow a non-loopback --bind without --user: anyone who reaches it may use the proxy.")
    boolean allowOpenProxy;

    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        ProxyManager proxy = start();
        PrintWriter out = spec.commandLine().getOut();
        for (Map.Entry<String, InetSocketAddress> listener : proxy.addresses().entrySet()) {
            out.println("listening " + listener.getKey() + " " + format(listener.getValue()));
        }
        out.println("ready");
        out.flush();
        Runnable stop = () -> {
            proxy.close();
            stopped.countDown();
        };
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> new Thread(stop, "sallyport-shutdown").start());
        }
        stopped.await();
        return 0;
    }

    /** Validates the flags and starts the proxy; usage errors name the flag. */
    ProxyManager start() {
        ProxyManager.Builder builder = ProxyManager.builder();
        try {
            builder.bind(bind);
        } catch (IllegalArgumentException e) {
            throw usage("--bind: '" + bind + "' is not an IP address (expected: e.g. 127.0.0.1, ::1, 0.0.0.0)");
        }
        if (!users.isEmpty() || allowOpenProxy) {
            builder.allowOpenProxy(allowOpenProxy);
        } else if (!isLoopback(bind)) {
            throw usage("--bind: " + bind + " is not a loopback address, so without --user anyone who reaches it could "
                    + "use this proxy (expected: add --user NAME:PASSWORD, or --allow-open-proxy to run an open proxy on purpose)");
        }
        if (socks5 == null && http == null) {
            socks5 = 1080;
        }
        if (socks5 != null) {
            builder.socks5(port("--socks5", socks5));
        }
        if (http != null) {
            builder.http(port("--http", http));
        }
        for (String user : users) {
            int colon = user.indexOf(':');
            if (colon <= 0 || colon == user.length() - 1) {
                throw usage("--user: expected NAME:PASSWORD with both parts non-empty");
            }
            try {
                builder.user(user.substring(0, colon), user.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw usage("--user: " + e.getMessage());
            }
        }
        return builder.start();
    }

    private static boolean isLoopback(String address) {
        String literal = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if ("localhost".equalsIgnoreCase(literal)) {
            return true;
        }
        byte[] raw = io.netty.util.NetUtil.createByteArrayFromIpAddressString(literal);
        try {
            return raw != null && java.net.InetAddress.getByAddress(raw).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private int port(String flag, int port) {
        if (port < 0 || port > 65535) {
            throw usage(flag + ": " + port + " is not a port (expected: 0-65535, 0 for any free port)");
        }
        return port;
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        if (address.getAddress() instanceof Inet6Address) {
            int percent = host.indexOf('%');
            host = "[" + (percent >= 0 ? host.substring(0, percent) : host) + "]";
        }
        return host + ":" + address.getPort();
    }
}
