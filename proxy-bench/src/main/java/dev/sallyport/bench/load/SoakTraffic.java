package dev.sallyport.bench.load;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The side traffic of {@code soak.sh}, beside the load generator's tunnels: for a bounded time,
 * one thread each keeps doing HTTP forwarding (keep-alive GETs through the HTTP listener to a
 * local origin), SOCKS5 UDP ASSOCIATE (datagrams to a local echo and back), SOCKS5 BIND (a peer
 * connects, bytes both ways) and failed logins (a wrong SOCKS5 password and a wrong HTTP Basic
 * password, from 127.0.0.2 so that the lockout they earn never touches the other traffic).
 * Blocking sockets with timeouts; every address is on loopback.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar:proxy-bench/target/lib/*" \
 *     dev.sallyport.bench.load.SoakTraffic SOCKS5_PORT HTTP_PORT USER:PASSWORD SECONDS
 * </pre>
 *
 * Every 15 s and at the end it prints one line of running totals, {@code SOAK kind_ok=N
 * kind_fail=N ...}, where a failed login counts as ok when the proxy refused it as it should.
 */
public final class SoakTraffic {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int TIMEOUT_MILLIS = 10_000;
    private static final byte[] PAYLOAD = "sallyport soak payload".getBytes(StandardCharsets.US_ASCII);

    private final int socks5;
    private final int http;
    private final String user;
    private final String password;
    private final long deadline;
    private final Map<String, AtomicLong> counts = new LinkedHashMap<>();

    private SoakTraffic(int socks5, int http, String user, String password, long deadline) {
        this.socks5 = socks5;
        this.http = http;
        this.user = user;
        this.password = password;
        this.deadline = deadline;
        for (String kind : new String[] {"http", "udp", "bind", "authfail"}) {
            counts.put(kind + "_ok", new AtomicLong());
            counts.put(kind + "_fail", new AtomicLong());
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 || !args[2].contains(":")) {
            System.err.println("usage: SoakTraffic SOCKS5_PORT HTTP_PORT USER:PASSWORD SECONDS");
            System.exit(2);
        }
        String[] credentials = args[2].split(":", 2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[3]));
        new SoakTraffic(Integer.parseInt(args[0]), Integer.parseInt(args[1]), credentials[0], credentials[1], deadline).run();
    }

    private void run() throws Exception {
        try (Origin origin = new Origin(); UdpEcho echo = new UdpEcho()) {
            Thread[] threads = {
                loop("http", () -> httpForward(origin.port())),
                loop("udp", () -> udpAssociate(echo.port())),
                loop("bind", this::bind),
                loop("authfail", this::failedLogins),
            };
            while (System.nanoTime() < deadline) {
                TimeUnit.NANOSECONDS.sleep(Math.min(TimeUnit.SECONDS.toNanos(15), Math.max(0, deadline - System.nanoTime())));
                report();
            }
            for (Thread thread : threads) {
                thread.join(TIMEOUT_MILLIS * 2L);
            }
        }
    }

    private void report() {
        StringBuilder line = new StringBuilder("SOAK");
        counts.forEach((name, count) -> line.append(' ').append(name).append('=').append(count.get()));
        System.out.println(line);
        System.out.flush();
    }

    private interface Step {
        void run() throws IOException;
    }

    /** Runs {@code step} until the deadline, counting each run as ok or failed; a short pause between runs. */
    private Thread loop(String kind, Step step) {
        Thread thread = new Thread(() -> {
            while (System.nanoTime() < deadline) {
                try {
                    step.run();
                    counts.get(kind + "_ok").incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    counts.get(kind + "_fail").incrementAndGet();
                    System.err.println("soak " + kind + ": " + e);
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "soak-" + kind);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Five keep-alive GETs in absolute form on one connection, each answered 200 with the origin's body. */
    private void httpForward(int originPort) throws IOException {
        try (Socket socket = connect(LOOPBACK, http)) {
            String authorization = basic(user, password);
            for (int i = 0; i < 5; i++) {
                String request = "GET http://127.0.0.1:" + originPort + "/soak/" + i + " HTTP/1.1\r\nHost: 127.0.0.1:"
                        + originPort + "\r\nProxy-Authorization: " + authorization + "\r\n\r\n";
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                Response response = Response.read(socket.getInputStream());
                expect(response.status == 200 && Arrays.equals(response.body, PAYLOAD), "http: " + response.status);
            }
        }
    }

    /** A UDP association, ten datagrams to the echo and their replies, then the control connection closes. */
    private void udpAssociate(int echoPort) throws IOException {
        try (Socket control = connect(LOOPBACK, socks5); DatagramSocket udp = new DatagramSocket(0, LOOPBACK)) {
            login(control, user, password);
            InetSocketAddress relay = request(control, 3, udp.getLocalPort());
            udp.setSoTimeout(TIMEOUT_MILLIS);
            byte[] header = {0, 0, 0, 1, 127, 0, 0, 1, (byte) (echoPort >> 8), (byte) echoPort};
            byte[] datagram = concat(header, PAYLOAD);
            byte[] reply = new byte[512];
            for (int i = 0; i < 10; i++) {
                udp.send(new DatagramPacket(datagram, datagram.length, relay));
                DatagramPacket packet = new DatagramPacket(reply, reply.length);
                udp.receive(packet);
                byte[] payload = Arrays.copyOfRange(reply, header.length, packet.getLength());
                expect(Arrays.equals(payload, PAYLOAD), "udp: reply payload");
            }
        }
    }

    /** BIND: the first reply names the listening socket, a peer connects, the second reply names it, bytes both ways. */
    private void bind() throws IOException {
        try (Socket client = connect(LOOPBACK, socks5)) {
            login(client, user, password);
            InetSocketAddress listening = request(client, 2, 0);
            try (Socket peer = connect(listening.getAddress(), listening.getPort())) {
                readReply(client.getInputStream());
                client.getOutputStream().write(PAYLOAD);
                expect(Arrays.equals(peer.getInputStream().readNBytes(PAYLOAD.length), PAYLOAD), "bind: to the peer");
                peer.getOutputStream().write(PAYLOAD);
                expect(Arrays.equals(client.getInputStream().readNBytes(PAYLOAD.length), PAYLOAD), "bind: from the peer");
            }
        }
    }

    /** A wrong SOCKS5 password gets status 1, a wrong HTTP Basic password 407; both from 127.0.0.2. */
    private void failedLogins() throws IOException {
        InetAddress other = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
        try (Socket socket = connect(other, LOOPBACK, socks5)) {
            byte[] status = loginStatus(socket, "intruder", "wrong-password");
            expect(status.length == 2 && status[1] == 1, "authfail: socks5 status " + Arrays.toString(status));
        }
        try (Socket socket = connect(other, LOOPBACK, http)) {
            String request = "GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\nProxy-Authorization: "
                    + basic("intruder", "wrong-password") + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            int status = Response.read(socket.getInputStream()).status;
            expect(status == 407, "authfail: http " + status);
        }
    }

    private static Socket connect(InetAddress host, int port) throws IOException {
        return connect(null, host, port);
    }

    private static Socket connect(InetAddress from, InetAddress host, int port) throws IOException {
        Socket socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        return socket;
    }

    private static void login(Socket socket, String user, String password) throws IOException {
        byte[] status = loginStatus(socket, user, password);
        expect(status.length == 2 && status[1] == 0, "login refused");
    }

    /** Greeting offering username/password, then RFC 1929; the two status bytes (or fewer when the proxy closed). */
    private static byte[] loginStatus(Socket socket, String user, String password) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        out.write(new byte[] {5, 1, 2});
        expect(Arrays.equals(in.readNBytes(2), new byte[] {5, 2}), "method selection");
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        out.write(concat(new byte[] {1, (byte) u.length}, u, new byte[] {(byte) p.length}, p));
        return in.readNBytes(2);
    }

    /** Sends a request for 127.0.0.1:{@code port} with command {@code command}; the bound address of its reply. */
    private static InetSocketAddress request(Socket socket, int command, int port) throws IOException {
        socket.getOutputStream().write(new byte[] {5, (byte) command, 0, 1, 127, 0, 0, 1, (byte) (port >> 8), (byte) port});
        return readReply(socket.getInputStream());
    }

    private static InetSocketAddress readReply(InputStream in) throws IOException {
        byte[] head = in.readNBytes(4);
        expect(head.length == 4 && head[0] == 5 && head[1] == 0, "socks5 reply " + Arrays.toString(head));
        byte[] address = in.readNBytes(head[3] == 4 ? 16 : 4);
        byte[] port = in.readNBytes(2);
        return new InetSocketAddress(InetAddress.getByAddress(address), ((port[0] & 0xff) << 8) | (port[1] & 0xff));
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static void expect(boolean condition, String what) throws IOException {
        if (!condition) {
            throw new IOException(what);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    /** A response's status and Content-Length body. */
    @SuppressWarnings("ArrayRecordComponent") // bytes as sent or received, read by the caller, never compared
    private record Response(int status, byte[] body) {
        static Response read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                expect(b >= 0 && head.size() < 16384, "http: response head");
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(text.substring(9, 12));
            int length = 0;
            for (String line : text.split("\r\n", -1)) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new Response(status, in.readNBytes(length));
        }
    }

    /** An HTTP/1.1 origin on loopback answering every request with {@link #PAYLOAD}, keep-alive. */
    private static final class Origin implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, LOOPBACK);

        Origin() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        Thread handler = new Thread(() -> serve(socket), "soak-origin");
                        handler.setDaemon(true);
                        handler.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "soak-origin-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private static void serve(Socket socket) {
            try (socket) {
                socket.setSoTimeout(TIMEOUT_MILLIS * 6);
                InputStream in = socket.getInputStream();
                byte[] response = concat(("HTTP/1.1 200 OK\r\nContent-Length: " + PAYLOAD.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII), PAYLOAD);
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                for (int b; (b = in.read()) >= 0; ) {
                    head.write(b);
                    if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                        socket.getOutputStream().write(response);
                        head.reset();
                    }
                }
            } catch (IOException ended) {
                // The proxy closed the connection: nothing to do.
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A UDP echo on loopback. */
    private static final class UdpEcho implements AutoCloseable {
        private final DatagramSocket socket = new DatagramSocket(0, LOOPBACK);

        UdpEcho() throws IOException {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                        socket.receive(packet);
                        socket.send(new DatagramPacket(buffer, packet.getLength(), packet.getSocketAddress()));
                    } catch (RuntimeException e) {
                        // keep echoing
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "soak-udp-echo");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
