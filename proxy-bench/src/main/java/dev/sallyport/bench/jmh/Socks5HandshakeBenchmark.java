package dev.sallyport.bench.jmh;

import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.socks5.Socks5Frontend;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * SOCKS5 handshake decode and encode, without sockets: the frontend's handlers on an
 * {@link EmbeddedChannel}, fed a greeting (and an RFC 1929 login when {@code auth=password}) and
 * a CONNECT to an IPv4 address, answering each message. Core is replaced by a {@link StubSession}
 * that admits everything at once, so this is the protocol module's own cost per handshake:
 * parsing, reply encoding, pipeline changes, and the channel itself. Reached through the public
 * {@link Socks5Frontend} and the {@code dev.sallyport.core.spi} interfaces, as core reaches it.
 * Admission (auth cache, rules, dial) is not in here: see {@link SessionSetupBenchmark}.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar:proxy-bench/target/lib/*" \
 *     org.openjdk.jmh.Main Socks5HandshakeBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class Socks5HandshakeBenchmark {

    private static final InetSocketAddress OUTBOUND = new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);

    private static final ByteBuf GREETING_NONE = constant(5, 1, 0);
    private static final ByteBuf GREETING_PASSWORD = constant(5, 1, 2);
    private static final ByteBuf LOGIN = constant(1, 5, 'b', 'e', 'n', 'c', 'h', 6, 's', 'e', 'c', 'r', 'e', 't');
    private static final ByteBuf CONNECT = constant(5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90);

    @Param({"none", "password"})
    public String auth;

    private final Frontend frontend = new Socks5Frontend();

    @Benchmark
    public int handshake() {
        boolean password = auth.equals("password");
        EmbeddedChannel channel = new EmbeddedChannel();
        frontend.initChannel(channel, new AdmitAll(channel, password));
        int replyBytes = 0;
        channel.writeInbound((password ? GREETING_PASSWORD : GREETING_NONE).duplicate());
        replyBytes += drain(channel);
        if (password) {
            channel.writeInbound(LOGIN.duplicate());
            replyBytes += drain(channel);
        }
        channel.writeInbound(CONNECT.duplicate());
        replyBytes += drain(channel);
        channel.finishAndReleaseAll();
        if (replyBytes != (password ? 14 : 12)) {
            throw new IllegalStateException("handshake: " + replyBytes + " reply bytes");
        }
        return replyBytes;
    }

    private static int drain(EmbeddedChannel channel) {
        int bytes = 0;
        for (ByteBuf reply; (reply = channel.readOutbound()) != null; ) {
            bytes += reply.readableBytes();
            reply.release();
        }
        return bytes;
    }

    private static ByteBuf constant(int... bytes) {
        ByteBuf buf = Unpooled.buffer(bytes.length);
        for (int b : bytes) {
            buf.writeByte(b);
        }
        return Unpooled.unreleasableBuffer(buf.asReadOnly());
    }

    /** Admits every login and request at once. */
    private static final class AdmitAll extends StubSession {
        AdmitAll(Channel channel, boolean password) {
            super(channel, 1080, password);
        }

        @Override
        public Future<Channel> connect(ProxyRequest request) {
            return channel.eventLoop().newSucceededFuture(new Outbound());
        }
    }

    /** An outbound channel whose local address is a socket address, as a real one's is. */
    private static final class Outbound extends EmbeddedChannel {
        @Override
        protected SocketAddress localAddress0() {
            return OUTBOUND;
        }
    }
}
