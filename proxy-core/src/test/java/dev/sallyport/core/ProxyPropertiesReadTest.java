package dev.sallyport.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A settings file is read as written: no escape or continuation changes a password behind the
 * operator's back, and what cannot be read plainly is refused naming its line.
 */
class ProxyPropertiesReadTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        return Files.writeString(dir.resolve("proxy.properties"), String.join("\n", lines) + "\n");
    }

    @Test
    void backslashes_areReadAsWritten() throws IOException {
        Properties read = ProxyProperties.read(file("user.alice=pa\\ss\\word", "user.bob = \\u0041\\t\\:x ", "allow-ports=80"));
        assertThat(read.getProperty("user.alice")).isEqualTo("pa\\ss\\word");
        assertThat(read.getProperty("user.bob")).isEqualTo("\\u0041\\t\\:x");
        assertThat(read.getProperty("allow-ports")).isEqualTo("80");
    }

    @Test
    void trailingBackslash_isRefusedNamingTheLine_andNeverSwallowsTheNextOne() throws IOException {
        Path file = file("socks5=1080", "user.bob=hunter2\\", "metrics=0");
        assertThatThrownBy(() -> ProxyProperties.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + " line 2: key 'user.bob' ends with a backslash (expected: one setting per line; "
                        + "values are read as written, so a backslash does not continue a line)")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void keyWithASpace_isRefusedNamingTheLine() throws IOException {
        Path file = file("# users", "", "user.al ice=x");
        assertThatThrownBy(() -> ProxyProperties.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + " line 3: key 'user.al ice' (expected: a key without spaces, then =)");
    }

    @Test
    void lineWithoutEquals_isRefusedWithoutEchoingIt() throws IOException {
        // "key value" and "key:value" are properties syntax that this format does not guess at.
        Path file = file("user.alice s3cret");
        assertThatThrownBy(() -> ProxyProperties.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + " line 1: no '=' (expected: key=value)");
        Path colon = file("user.alice:s3cret");
        assertThatThrownBy(() -> ProxyProperties.read(colon)).hasMessage(colon + " line 1: no '=' (expected: key=value)");
    }

    @Test
    void keySetTwice_isRefusedNamingBothLines() throws IOException {
        Path file = file("socks5=1080", "user.alice=a", "socks5=1081");
        assertThatThrownBy(() -> ProxyProperties.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + " line 3: key 'socks5' again, first set on line 1 (expected: each key once)");
    }

    @Test
    void emptyKey_isRefused() throws IOException {
        Path file = file("=x");
        assertThatThrownBy(() -> ProxyProperties.read(file)).hasMessage(file + " line 1: no key before '=' (expected: key=value)");
    }

    @Test
    void commentsBlankLinesAndAByteOrderMark_areSkipped_valuesTrimmed() throws IOException {
        Properties read = ProxyProperties.read(file("\uFEFF# settings", "! also a comment \\", "", "  bind =  127.0.0.1  ",
                "deny=a=b"));
        assertThat(read).containsOnlyKeys("bind", "deny");
        assertThat(read.getProperty("bind")).isEqualTo("127.0.0.1");
        assertThat(read.getProperty("deny")).isEqualTo("a=b");
    }

    @Test
    void apply_fromAFile_usesTheRawValues() throws IOException {
        Path file = file("socks5=0", "user.alice=pa\\ss");
        ProxyManager.Builder builder = ProxyProperties.apply(ProxyManager.builder(), file);
        assertThat(builder.config().initialUsers).containsExactly(java.util.Map.entry("alice", "pa\\ss"));
    }

    @Test
    void newCapKeys_areAppliedAndValidated() throws IOException {
        ProxyManager.Builder builder = ProxyProperties.apply(ProxyManager.builder(),
                file("max-total-connections=5000", "max-bind-listeners=4"));
        assertThat(builder.config().maxConnections).isEqualTo(5000);
        assertThat(builder.config().maxBindListeners).isEqualTo(4);
        assertThatThrownBy(() -> ProxyProperties.apply(ProxyManager.builder(), file("max-bind-listeners=0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max-bind-listeners: 0 (expected: an integer >= 1)");
    }
}
