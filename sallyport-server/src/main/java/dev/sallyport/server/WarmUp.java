package dev.sallyport.server;

import dev.sallyport.core.ProxyManager;
import dev.sallyport.core.ProxyProperties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code serve --warm-up DURATION}: before the real listeners open, sessions on loopback through a
 * private proxy of the same transport (SOCKS5 and HTTP CONNECT, without and then with a password,
 * one byte echoed by a private target each), so that the JIT has compiled the handshake and relay
 * paths before the first client pays for it. Nothing of it is visible outside the process: the
 * private proxy listens on 127.0.0.1 port 0, refuses every target but its own echo target, logs no
 * session and reports to no metrics. Bounded by the duration and by {@link #MAX_SESSIONS}; a failure ends it
 * early with one WARN and never stops the start.
 */
final class WarmUp {

    /** More than enough for C2 to compile the session path (its thresholds are ~10^4 calls). */
    static final long MAX_SESSIONS = 100_000;
    private static final int CLIENTS = 4;
    private static final int TIMEOUT_MILLIS = 5000;
    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);

    /** What a warm-up did: sessions completed, how long it took, and why it stopped early (or null). */
    record Report(long sessions, Duration took, String failure) {
    }

    private WarmUp() {
    }

    /**
     * Runs the warm-up on the given transport (a {@code transport} key value, or null for auto),
     * half of {@code budget} without a password and half with one.
     */
    static Report run(Duration budget, String transport) {
        long start = System.nanoTime();
        AtomicLong sessions = new AtomicLong();
        String failure = null;
        ExecutorService threads = Executors.newFixedThreadPool(3 * CLIENTS + 1, runnable -> {
            Thread thread = new Thread(runnable, "sallyport-warm-up");
            thread.setDaemon(true);
            return thread;
        });
        try (ServerSocket echo = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
             QuietProxyLogs quiet = new QuietProxyLogs()) {
            threads.execute(() -> serveEcho(echo, threads));
            long deadline = start + budget.toNanos();
            byte[] secret = new byte[18];
            new SecureRandom().nextBytes(secret);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            failure = phase(transport, null, echo, start + budget.toNanos() / 2, sessions, threads);
            if (failure == null) {
                failure = phase(transport, password, echo, deadline, sessions, threads);
            }
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
        } finally {
            threads.shutdownNow();
        }
        Report report = new Report(sessions.get(), Duration.ofNanos(System.nanoTime() - start), failure);
        if (failure != null) {
            log.warn("Warm-up stopped after {} sessions: {} (starting anyway)", report.sessions(), failure);
        } else {
            log.info("Warm-up: {} loopback sessions in {} ms", report.sessions(), report.took().toMillis());
        }
        return report;
    }

    /** One private proxy, {@link #CLIENTS} clients until {@code deadline}; the first failure, or null. */
    private static String phase(String transport, String password, ServerSocket echo, long deadline, AtomicLong sessions,
                                ExecutorService threads) {
        ProxyManager.Builder builder = ProxyManager.builder().accessLog(false);
        ProxyProperties.apply(builder, properties(transport, echo.getLocalPort()));
        if (password != null) {
            builder.user("warm-up", password);
        }
        ProxyManager proxy = builder.start();
        AtomicReference<String> failure = new AtomicReference<>();
        try {
            InetSocketAddress socks5 = proxy.addresses().get("socks5");
            InetSocketAddress http = proxy.addresses().get("http");
            Client client = new Client(new InetSocketAddress(echo.getInetAddress(), echo.getLocalPort()), password);
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(threads.submit(() -> {
                    // One session of each kind at least, however short the budget (a cold start may spend it).
                    for (long n = 0; failure.get() == null && (n < 2 || System.nanoTime() < deadline)
                            && sessions.get() < MAX_SESSIONS; n++) {
                        try {
                            if (n % 2 == 0) {
                                client.socks5(socks5);
                            } else {
                                client.httpConnect(http);
                            }
                            sessions.incrementAndGet();
                        } catch (IOException | RuntimeException e) {
                            failure.compareAndSet(null, e.toString());
                        }
                    }
                }));
            }
            for (Future<?> running : clients) {
                running.get(Math.max(0, deadline - System.nanoTime()) + TimeUnit.SECONDS.toNanos(10), TimeUnit.NANOSECONDS);
            }
        } catch (Exception e) {
            failure.compareAndSet(null, e.toString());
        } finally {
            proxy.close(Duration.ofSeconds(1));
        }
        return failure.get();
    }

    /**
     * The private proxy's settings: loopback, any free ports, and rules that refuse every target but
     * the echo port on 127.0.0.1, so that another local program finding it while it runs can reach
     * nothing through it.
     */
    static Properties properties(String transport, int echoPort) {
        Properties properties = new Properties();
        properties.setProperty("bind", "127.0.0.1");
        properties.setProperty("socks5", "0");
        properties.setProperty("http", "0");
        properties.setProperty("allow-ports", Integer.toString(echoPort));
        properties.setProperty("allow", "127.0.0.1/32");
        properties.setProperty("deny", "0.0.0.0/0,::/0");
        if (transport != null) {
            properties.setProperty("transport", transport);
        }
        return properties;
    }

    /** The private target: echoes one byte, then waits for the end of input and closes. */
    private static void serveEcho(ServerSocket server, ExecutorService threads) {
        try {
            while (true) {
                Socket socket = server.accept();
                try {
                    threads.execute(() -> echoOnce(socket));
                } catch (RejectedExecutionException e) {
                    socket.close();
                    return;
                }
            }
        } catch (IOException e) {
            // Closed: the warm-up is over.
        }
    }

    private static void echoOnce(Socket socket) {
        try (socket) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            InputStream in = socket.getInputStream();
            int b = in.read();
            if (b >= 0) {
                socket.getOutputStream().write(b);
                while (in.read() >= 0) {
                    // Until the client's end of input, passed on by the proxy.
                }
            }
        } catch (IOException e) {
            // The client side reports failures.
        }
    }

    /** A blocking client of one kind of session; each call connects, echoes one byte and closes. */
    private record Client(InetSocketAddress target, String password) {

        void socks5(InetSocketAddress proxy) throws IOException {
            try (Socket socket = connect(proxy)) {
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                byte method = (byte) (password == null ? 0 : 2);
                out.write(new byte[] {5, 1, method});
                expect(in, new byte[] {5, method}, "SOCKS5 method selection");
                if (password != null) {
                    byte[] p = password.getBytes(StandardCharsets.US_ASCII);
                    byte[] login = new byte[3 + 7 + p.length];
                    login[0] = 1;
                    login[1] = 7;
                    System.arraycopy("warm-up".getBytes(StandardCharsets.US_ASCII), 0, login, 2, 7);
                    login[9] = (byte) p.length;
                    System.arraycopy(p, 0, login, 10, p.length);
                    out.write(login);
                    expect(in, new byte[] {1, 0}, "SOCKS5 login");
                }
                byte[] ip = target.getAddress().getAddress();
                int port = target.getPort();
                out.write(new byte[] {5, 1, 0, 1, ip[0], ip[1], ip[2], ip[3], (byte) (port >>> 8), (byte) port});
                byte[] reply = in.readNBytes(10);
                if (reply.length < 10 || reply[1] != 0) {
                    throw new IOException("SOCKS5 CONNECT refused");
                }
                echoOnce(out, in);
            }
        }

        void httpConnect(InetSocketAddress proxy) throws IOException {
            try (Socket socket = connect(proxy)) {
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                String authority = target.getAddress().getHostAddress() + ":" + target.getPort();
                String login = password == null ? "" : "Proxy-Authorization: Basic " + Base64.getEncoder()
                        .encodeToString(("warm-up:" + password).getBytes(StandardCharsets.US_ASCII)) + "\r\n";
                out.write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n" + login + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                StringBuilder head = new StringBuilder();
                while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0 || head.length() > 4096) {
                        throw new EOFException("HTTP CONNECT: no complete response");
                    }
                    head.append((char) b);
                }
                if (!head.toString().startsWith("HTTP/1.1 200")) {
                    throw new IOException("HTTP CONNECT refused: " + head.substring(0, head.indexOf("\r")));
                }
                echoOnce(out, in);
            }
        }

        private static Socket connect(InetSocketAddress proxy) throws IOException {
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.connect(proxy, TIMEOUT_MILLIS);
                return socket;
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        private static void echoOnce(OutputStream out, InputStream in) throws IOException {
            out.write('w');
            if (in.read() != 'w') {
                throw new IOException("no echo through the tunnel");
            }
        }

        private static void expect(InputStream in, byte[] expected, String step) throws IOException {
            byte[] got = in.readNBytes(expected.length);
            if (!java.util.Arrays.equals(got, expected)) {
                throw new IOException(step + " refused");
            }
        }
    }

    /**
     * The private proxy's start and stop lines (transport, listeners, drain) would read like the
     * real proxy's; its loggers say only warnings while it runs. Logback only; with another SLF4J
     * binding the lines appear.
     */
    private static final class QuietProxyLogs implements AutoCloseable {
        private final ch.qos.logback.classic.Logger logger;
        private final ch.qos.logback.classic.Level before;

        QuietProxyLogs() {
            logger = LoggerFactory.getLogger("dev.sallyport.core") instanceof ch.qos.logback.classic.Logger l ? l : null;
            before = logger == null ? null : logger.getLevel();
            if (logger != null && logger.isInfoEnabled()) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }

        @Override
        public void close() {
            if (logger != null) {
                logger.setLevel(before);
            }
        }
    }
}
