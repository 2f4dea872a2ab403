package dev.sallyport.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A UDP server on a loopback address, port 0, recording every datagram it receives: the target
 * of a test's SOCKS5 UDP ASSOCIATE.
 *
 * <ul>
 *   <li>{@link #echo()} sends each payload back to its sender;</li>
 *   <li>{@link #sink()} only records;</li>
 *   <li>{@link #source(int, int)} answers each datagram with {@code count} datagrams of
 *       {@code size} {@link TestBytes#pattern(long) pattern} bytes (the k-th starting at stream
 *       position {@code k * size}).</li>
 * </ul>
 *
 * <p>Thread-safe; {@link #close()} closes the socket. In a {@code @RegisterExtension} field the
 * server closes itself: after the class for a {@code static} field, after each test for an
 * instance field.
 */
public final class UdpServer extends ClosedAfterUse {

    /** One received datagram: who sent it and its payload. */
    @SuppressWarnings("ArrayRecordComponent") // bytes as sent or received, read by the caller, never compared
    public record Datagram(InetSocketAddress sender, byte[] payload) {
        /**
         * The payload as UTF-8 text.
         *
         * @return the payload text
         */
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** What the server answers to one datagram (nothing, by default). */
    @FunctionalInterface
    private interface Behaviour {
        void answer(DatagramSocket socket, DatagramPacket received) throws IOException;
    }

    private final DatagramSocket socket;
    private final Behaviour behaviour;
    private final List<Datagram> received = new CopyOnWriteArrayList<>();
    private final AtomicLong bytes = new AtomicLong();
    private final Signal signal = new Signal();

    private final Thread receiver;

    private UdpServer(String kind, InetAddress bind, Behaviour behaviour) {
        if (!bind.isLoopbackAddress()) {
            throw new IllegalArgumentException("bind: " + bind + " (expected: a loopback address)");
        }
        this.behaviour = behaviour;
        try {
            socket = new DatagramSocket(new InetSocketAddress(bind, 0));
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
        receiver = new Thread(this::serve, "test-udp-" + kind);
        receiver.setDaemon(true);
        receiver.start();
    }

    /**
     * Echoes every datagram on 127.0.0.1.
     *
     * @return the started server
     */
    public static UdpServer echo() {
        return echo(InetAddress.getLoopbackAddress());
    }

    /**
     * Echoes every datagram on another loopback address, e.g. 127.0.0.2.
     *
     * @param loopback the loopback address to bind
     * @return the started server
     */
    public static UdpServer echo(InetAddress loopback) {
        Objects.requireNonNull(loopback, "loopback");
        return new UdpServer("echo", loopback, (socket, packet) -> socket.send(
                new DatagramPacket(packet.getData(), packet.getOffset(), packet.getLength(), packet.getSocketAddress())));
    }

    /**
     * Records every datagram and answers none.
     *
     * @return the started server
     */
    public static UdpServer sink() {
        return new UdpServer("sink", InetAddress.getLoopbackAddress(), (socket, packet) -> { });
    }

    /**
     * Answers each datagram with {@code count} datagrams of {@code size} pattern bytes.
     *
     * @param count datagrams per answer
     * @param size bytes per datagram
     * @return the started server
     */
    public static UdpServer source(int count, int size) {
        if (count < 1 || size < 0 || size > 65507) {
            throw new IllegalArgumentException("count, size: " + count + ", " + size
                    + " (expected: count >= 1, size 0-65507)");
        }
        return new UdpServer("source", InetAddress.getLoopbackAddress(), (socket, packet) -> {
            for (int k = 0; k < count; k++) {
                byte[] payload = TestBytes.pattern((long) k * size, size);
                socket.send(new DatagramPacket(payload, size, packet.getSocketAddress()));
            }
        });
    }

    /**
     * The bound address.
     *
     * @return the address
     */
    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /**
     * The bound port.
     *
     * @return the port
     */
    public int port() {
        return socket.getLocalPort();
    }

    /**
     * Every datagram received so far, in order.
     *
     * @return the datagrams
     */
    public List<Datagram> received() {
        return List.copyOf(received);
    }

    /**
     * Payload bytes received so far.
     *
     * @return the payload bytes
     */
    public long bytesReceived() {
        return bytes.get();
    }

    /**
     * Waits until at least {@code count} datagrams arrived; returns them all.
     *
     * @param count the number of datagrams
     * @param timeout how long to wait at most
     * @return the datagrams
     */
    public List<Datagram> awaitReceived(int count, Duration timeout) {
        return signal.await(() -> received.size() >= count ? List.copyOf(received) : null,
                Signal.requireTimeout(timeout), count + " datagram(s)", () -> "received " + received.size());
    }

    private void serve() {
        byte[] buf = new byte[65536];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(packet);
                received.add(new Datagram((InetSocketAddress) packet.getSocketAddress(),
                        Arrays.copyOfRange(buf, 0, packet.getLength())));
                bytes.addAndGet(packet.getLength());
                signal.signal();
                behaviour.answer(socket, packet);
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
                // A send to a sender that went away fails alone; keep serving.
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        // A thread blocked in receive() can keep the port bound after close() returned: wait for
        // it, so the port is free when this returns.
        if (Thread.currentThread() != receiver) {
            try {
                receiver.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "UdpServer" + address();
    }
}
