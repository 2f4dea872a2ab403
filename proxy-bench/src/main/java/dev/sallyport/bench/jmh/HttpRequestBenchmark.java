package dev.sallyport.bench.jmh;

import dev.sallyport.api.Outcome;
import dev.sallyport.api.Principal;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.core.spi.Exchange;
import dev.sallyport.core.spi.Frontend;
import dev.sallyport.http.HttpFrontend;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * HTTP forward-proxy request handling without sockets: the HTTP frontend on an
 * {@link EmbeddedChannel} parses an absolute-form GET with a typical browser's headers (including
 * hop-by-hop ones and {@code Proxy-Authorization}), asks a {@link StubSession} for an exchange,
 * and writes the rewritten request (hop-by-hop headers dropped, {@code Via} added, Host from the
 * URI) to the origin channel, where it is encoded. This is the protocol module's own cost per
 * forwarded request: parse, header rewrite, encode. Admission and dialing are in
 * {@link SessionSetupBenchmark}.
 *
 * <pre>
 * java -cp "proxy-bench/target/proxy-bench-0.1.0-SNAPSHOT.jar:proxy-bench/target/lib/*" \
 *     org.openjdk.jmh.Main HttpRequestBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class HttpRequestBenchmark {


    @SuppressWarnings("StringConcatToTextBlock") // CRLF line ends: a text block needs an escape on every line
    private static final ByteBuf REQUEST = Unpooled.unreleasableBuffer(Unpooled.copiedBuffer((
            "GET http://www.example.com/index.html?q=1 HTTP/1.1\r\n"
            + "Host: www.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\n"
            + "Accept-Encoding: gzip, deflate\r\n"
            + "Proxy-Authorization: Basic YmVuY2g6c2VjcmV0\r\n"
            + "Proxy-Connection: keep-alive\r\n"
            + "Connection: keep-alive, X-Trace\r\n"
            + "X-Trace: abc\r\n"
            + "Upgrade-Insecure-Requests: 1\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII)).asReadOnly());

    private final Frontend frontend = new HttpFrontend();

    @Benchmark
    public int forwardRequest() {
        EmbeddedChannel client = new EmbeddedChannel();
        EmbeddedChannel origin = new EmbeddedChannel();
        ForwardAll session = new ForwardAll(client, origin);
        frontend.initChannel(client, session);
        client.writeInbound(REQUEST.duplicate());
        client.runPendingTasks();
        origin.runPendingTasks();
        int bytes = 0;
        for (Object out; (out = origin.readOutbound()) != null; ) {
            if (out instanceof ByteBuf buf) {
                bytes += buf.readableBytes();
            }
            io.netty.util.ReferenceCountUtil.release(out);
        }
        origin.finishAndReleaseAll();
        client.finishAndReleaseAll();
        if (bytes == 0 || session.exchanges != 1) {
            throw new IllegalStateException("request: " + bytes + " bytes to the origin, " + session.exchanges + " exchanges");
        }
        return bytes;
    }

    /** Admits every request at once onto an embedded origin channel. */
    private static final class ForwardAll extends StubSession {
        private final Channel origin;
        int exchanges;

        ForwardAll(Channel client, Channel origin) {
            super(client, 8080, false);
            this.origin = origin;
        }

        @Override
        public Future<Exchange> exchange(ProxyRequest request) {
            exchanges++;
            return channel.eventLoop().newSucceededFuture(new Exchange() {
                @Override
                public ProxyRequest request() {
                    return request;
                }

                @Override
                public Principal principal() {
                    return Principal.anonymous();
                }

                @Override
                public Channel outbound() {
                    return origin;
                }

                @Override
                public void count(long up, long down) {
                }

                @Override
                public void end(Outcome outcome, boolean reusable) {
                }
            });
        }

        @Override
        public void fail(Outcome outcome) {
            // Closing the embedded channels at the end of each operation may record an outcome.
        }
    }
}
