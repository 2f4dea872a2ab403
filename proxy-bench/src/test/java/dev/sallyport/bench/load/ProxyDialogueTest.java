package dev.sallyport.bench.load;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProxyDialogueTest {

    private static final InetSocketAddress DESTINATION = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

    @Test
    void socks5_withPassword_sendsLoginThenRequest_andLeavesTunnelBytes() {
        ProxyDialogue dialogue = ProxyDialogue.socks5(DESTINATION, "u", "pw");
        assertThat(dialogue.start()).containsExactly(5, 1, 2);
        assertThat(dialogue.receive(ByteBuffer.wrap(new byte[] {5, 2})).send()).containsExactly(1, 1, 'u', 2, 'p', 'w');
        assertThat(dialogue.receive(ByteBuffer.wrap(new byte[] {1, 0})).send())
                .containsExactly(5, 1, 0, 1, 127, 0, 0, 1, 0x1f, (byte) 0x90);
        ByteBuffer reply = ByteBuffer.wrap(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 1, 'x'});
        // A fragment first: nothing consumed until the whole reply is there.
        ByteBuffer fragment = ByteBuffer.wrap(new byte[] {5, 0, 0, 1, 127});
        assertThat(dialogue.receive(fragment)).isSameAs(ProxyDialogue.Step.MORE);
        assertThat(fragment.position()).isZero();
        assertThat(dialogue.receive(reply)).isSameAs(ProxyDialogue.Step.DONE);
        assertThat(dialogue.done()).isTrue();
        assertThat(reply.remaining()).isEqualTo(1);
    }

    @Test
    void socks5_refusal_isAFailureNamingTheReplyCode() {
        ProxyDialogue dialogue = ProxyDialogue.socks5(DESTINATION, null, null);
        dialogue.receive(ByteBuffer.wrap(new byte[] {5, 0}));
        assertThat(dialogue.receive(ByteBuffer.wrap(new byte[] {5, 5, 0, 1, 0, 0, 0, 0, 0, 0})).failure())
                .isEqualTo("socks5: reply 5");
    }

    @Test
    void httpConnect_acceptsOnly200_andConsumesTheWholeHeader() {
        ProxyDialogue dialogue = ProxyDialogue.httpConnect(DESTINATION, "u", "pw");
        assertThat(new String(dialogue.start(), StandardCharsets.US_ASCII))
                .startsWith("CONNECT 127.0.0.1:8080 HTTP/1.1\r\n")
                .contains("Proxy-Authorization: Basic dTpwdw==\r\n")
                .endsWith("\r\n\r\n");
        ByteBuffer partial = ByteBuffer.wrap("HTTP/1.1 200 OK\r\nVia: x\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(dialogue.receive(partial)).isSameAs(ProxyDialogue.Step.MORE);
        ByteBuffer whole = ByteBuffer.wrap("HTTP/1.1 200 OK\r\nVia: x\r\n\r\nab".getBytes(StandardCharsets.US_ASCII));
        assertThat(dialogue.receive(whole)).isSameAs(ProxyDialogue.Step.DONE);
        assertThat(whole.remaining()).isEqualTo(2);

        ProxyDialogue denied = ProxyDialogue.httpConnect(DESTINATION, null, null);
        assertThat(denied.receive(ByteBuffer.wrap("HTTP/1.1 403 Forbidden\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .failure()).isEqualTo("http: HTTP/1.1 403 Forbidden");
    }

    @Test
    void target_offLoopback_isRefused() {
        assertThatThrownBy(() -> Target.parse("socks5://192.0.2.1:1080"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target: /192.0.2.1:1080 (expected: a proxy on a loopback address)");
        assertThat(Target.parse("socks5://u:p@127.0.0.1:1080")).hasToString("socks5://u:***@127.0.0.1:1080");
    }

    @Test
    void options_rejectBadValuesByName() {
        assertThatThrownBy(() -> Options.parse("--duration", "soon"))
                .hasMessage("--duration: soon (expected: a positive duration like 500ms, 2s, 1m)");
        assertThatThrownBy(() -> Options.parse("--modes", "fast"))
                .hasMessage("--modes: fast (expected: throughput, sessions, pingpong, ttfb, idle)");
        assertThat(Options.size("--bytes", "3m")).isEqualTo(3L << 20);
    }
}
