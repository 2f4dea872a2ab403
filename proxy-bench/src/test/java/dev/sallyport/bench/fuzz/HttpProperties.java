package dev.sallyport.bench.fuzz;

import dev.sallyport.api.Command;
import dev.sallyport.api.ProxyRequest;
import dev.sallyport.bench.fuzz.FuzzSession.Verdict;
import dev.sallyport.core.spi.HostNames;
import dev.sallyport.http.HttpFrontend;
import dev.sallyport.http.HttpOptions;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.NetUtil;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP request head as the frontend decodes it ({@code HttpServerCodec} with our limits, the
 * smallest allowed or the defaults, then our handlers), fed any bytes in any reads, with core
 * admitting, refusing or never answering. Whatever the input: nothing is thrown out of the
 * pipeline; every answer the proxy gives itself is an HTTP/1.1 response; what is handed to core
 * names a valid host and port; what reaches an origin starts with a clean request head (one
 * request line, header lines that are tokens and values, no stray CR or LF); bytes passed on to a
 * tunnel are exactly the input's tail; and after the end of input the connection is closed unless
 * core holds a request. Every buffer is released ({@link Wire#finish}).
 */
abstract class HttpProperties extends FuzzContainer {

    private static final HttpOptions SMALLEST = HttpOptions.defaults().maxRequestLine(256).maxHeaderSize(1024);
    private static final Pattern RESPONSE = Pattern.compile("HTTP/1\\.1 [1-5]\\d\\d .*", Pattern.DOTALL);
    private static final Pattern REQUEST_LINE = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+ [!-~]+ HTTP/1\\.[01]");
    private static final Pattern HEADER_LINE = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*");

    @Property
    void requestHead_anyInput_handedAnsweredOrWaiting(@ForAll("heads") byte[] input, @ForAll("cuts") int[] cuts,
                                                      @ForAll boolean authentication, @ForAll boolean smallestLimits,
                                                      @ForAll Verdict admission) {
        Watchdog.run(input, () -> {
            Wire wire = new Wire();
            HttpOptions options = smallestLimits ? SMALLEST : HttpOptions.defaults();
            FuzzSession session = new FuzzSession(wire, authentication, options, Verdict.NOW_OK, admission);
            new HttpFrontend().initChannel(wire.channel, session);
            wire.feed(input, cuts);
            session.settle();
            Statistics.collect(settle(wire, session, input));
            wire.finish(session);
        });
    }

    @Provide
    Arbitrary<byte[]> heads() {
        return Inputs.mix(HttpMessages.request(), 600);
    }

    @Provide
    Arbitrary<int[]> cuts() {
        return Inputs.cuts();
    }

    private static String settle(Wire wire, FuzzSession session, byte[] input) {
        boolean openBeforeEnd = wire.channel.isOpen();
        wire.endOfInput();
        String replies = new String(wire.replies(), StandardCharsets.ISO_8859_1);
        if (!replies.isEmpty()) {
            assertThat(RESPONSE.matcher(replies).matches()).as("a response: %s", replies).isTrue();
        }
        assertThat(session.requests.size()).as("requests handed to core").isLessThanOrEqualTo(input.length / 16 + 1);
        for (ProxyRequest request : session.requests) {
            assertThat(request.command()).isIn(Command.HTTP_FORWARD, Command.CONNECT);
            String host = request.targetHost();
            assertThat(HostNames.isValid(host) || NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host))
                    .as("host handed to core: %s", host).isTrue();
            assertThat(request.targetPort()).isBetween(1, 65535);
        }
        for (EmbeddedChannel origin : session.outbound) {
            checkForwardedHead(new String(Wire.written(origin), StandardCharsets.ISO_8859_1));
        }
        byte[] passed = wire.passedOn();
        if (passed.length > 0) {
            assertThat(session.requests).extracting(ProxyRequest::command).contains(Command.CONNECT);
            assertThat(replies).contains("HTTP/1.1 200 ");
            assertThat(Arrays.copyOfRange(input, input.length - passed.length, input.length))
                    .as("the tunnel gets the input's tail, unchanged").isEqualTo(passed);
        }
        boolean open = wire.channel.isOpen();
        if (open) {
            assertThat(session.requests).as("open after the end of input only while core holds a request").isNotEmpty();
        }
        String status = replies.isEmpty() ? "no reply" : replies.substring(9, 12);
        String handed = session.requests.isEmpty() ? "" : "handed " + session.requests.get(0).command() + ", ";
        return handed + status + (openBeforeEnd ? ", then end of input" : "") + (open ? ", open" : ", closed");
    }

    /** What the frontend wrote to an origin starts with one clean request head. */
    private static void checkForwardedHead(String written) {
        if (written.isEmpty()) {
            return;
        }
        int end = written.indexOf("\r\n\r\n");
        assertThat(end).as("a complete head: %s", written).isPositive();
        String[] lines = written.substring(0, end).split("\r\n", -1);
        assertThat(REQUEST_LINE.matcher(lines[0]).matches()).as("request line: %s", lines[0]).isTrue();
        for (int i = 1; i < lines.length; i++) {
            assertThat(HEADER_LINE.matcher(lines[i]).matches()).as("header line: %s", lines[i]).isTrue();
        }
    }
}
