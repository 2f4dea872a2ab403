package dev.sallyport.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes outside visible ASCII in an absolute-form target (found by the decoder fuzzing in
 * proxy-bench): Netty's codec reads the request line as ISO-8859-1 and writes the forwarded one as
 * UTF-8, so {@code GET http://origin.test/\u00e9} reached the origin as {@code /\u00c3\u00a9}, a path
 * the client never sent. Such a target is malformed (RFC 9112 section 3.2) and gets a 400.
 */
class TargetBytesTest {

    @ParameterizedTest
    @ValueSource(strings = {"/\u00e9", "/a?q=\u00ff", "/\u0001", "/a\u007f", "/\u0080", "/x#\u00e9", "?\u00e9"})
    void absolute_byteOutsideVisibleAscii_malformed(String rest) {
        assertThat(Target.absolute("http://origin.test" + rest)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%C3%A9", "/a?q=%FF", "/~user/a-b_c.d!$&'()*+,;=:@", "?q"})
    void absolute_visibleAscii_keptAsSent(String rest) {
        Target target = Target.absolute("http://origin.test" + rest);
        assertThat(target).isNotNull();
        assertThat(target.path()).isEqualTo(rest.startsWith("?") ? "/" + rest : rest);
    }
}
