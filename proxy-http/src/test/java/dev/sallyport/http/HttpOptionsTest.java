package dev.sallyport.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpOptionsTest {

    private final HttpOptions defaults = HttpOptions.defaults();

    @Test
    void defaults_areTheDocumentedLimits() {
        assertThat(defaults.maxRequestLine()).isEqualTo(8192);
        assertThat(defaults.maxHeaderSize()).isEqualTo(16384);
        assertThat(defaults.maxResponseHeaderSize()).isEqualTo(65536);
        assertThat(defaults.responseTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(defaults.keepAliveTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void eachSetter_returnsACopyWithThatValue_andLeavesTheOriginalAlone() {
        HttpOptions changed = defaults.maxRequestLine(256).maxHeaderSize(1024).maxResponseHeaderSize(2048)
                .responseTimeout(Duration.ofSeconds(5)).keepAliveTimeout(Duration.ofDays(1));
        assertThat(changed.maxRequestLine()).isEqualTo(256);
        assertThat(changed.maxHeaderSize()).isEqualTo(1024);
        assertThat(changed.maxResponseHeaderSize()).isEqualTo(2048);
        assertThat(changed.responseTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(changed.keepAliveTimeout()).isEqualTo(Duration.ofDays(1));
        assertThat(defaults).isEqualTo(HttpOptions.defaults()).isNotEqualTo(changed);
        assertThat(changed).isEqualTo(defaults.maxRequestLine(256).maxHeaderSize(1024).maxResponseHeaderSize(2048)
                .responseTimeout(Duration.ofSeconds(5)).keepAliveTimeout(Duration.ofDays(1)))
                .hasSameHashCodeAs(defaults.maxRequestLine(256).maxHeaderSize(1024).maxResponseHeaderSize(2048)
                        .responseTimeout(Duration.ofSeconds(5)).keepAliveTimeout(Duration.ofDays(1)));
        assertThat(changed.toString()).contains("maxRequestLine=256", "keepAliveTimeout=PT24H");
    }

    @Test
    void maxRequestLine_under256Bytes_isRejected() {
        assertThatThrownBy(() -> defaults.maxRequestLine(255))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxRequestLine: 255 (expected: >= 256 bytes)");
    }

    @Test
    void maxHeaderSize_under1024Bytes_isRejected() {
        assertThatThrownBy(() -> defaults.maxHeaderSize(1023))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxHeaderSize: 1023 (expected: >= 1024 bytes)");
    }

    @Test
    void maxResponseHeaderSize_under1024Bytes_isRejected() {
        assertThatThrownBy(() -> defaults.maxResponseHeaderSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxResponseHeaderSize: 0 (expected: >= 1024 bytes)");
    }

    @Test
    void responseTimeout_null_isRejectedByName() {
        assertThatThrownBy(() -> defaults.responseTimeout(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("responseTimeout");
    }

    @Test
    void responseTimeout_zeroOrNegative_isRejected() {
        assertThatThrownBy(() -> defaults.responseTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("responseTimeout: PT0S (expected: > 0 and <= PT24H)");
        assertThatThrownBy(() -> defaults.responseTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("responseTimeout: PT-1S (expected: > 0 and <= PT24H)");
    }

    @Test
    void responseTimeout_overADay_isRejected() {
        assertThatThrownBy(() -> defaults.responseTimeout(Duration.ofDays(1).plusNanos(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("responseTimeout: PT24H0.000000001S (expected: > 0 and <= PT24H)");
    }

    @Test
    void keepAliveTimeout_null_isRejectedByName() {
        assertThatThrownBy(() -> defaults.keepAliveTimeout(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("keepAliveTimeout");
    }

    @Test
    void keepAliveTimeout_zeroOrNegative_isRejected() {
        assertThatThrownBy(() -> defaults.keepAliveTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keepAliveTimeout: PT0S (expected: > 0 and <= PT24H)");
        assertThatThrownBy(() -> defaults.keepAliveTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keepAliveTimeout: PT-0.005S (expected: > 0 and <= PT24H)");
    }

    @Test
    void keepAliveTimeout_overADay_isRejected() {
        assertThatThrownBy(() -> defaults.keepAliveTimeout(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keepAliveTimeout: PT48H (expected: > 0 and <= PT24H)");
    }

}
