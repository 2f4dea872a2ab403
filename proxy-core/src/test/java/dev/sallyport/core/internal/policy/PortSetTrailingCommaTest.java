package dev.sallyport.core.internal.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PortSetTrailingCommaTest {

    @Test
    void parse_trailingComma_rejectedLikeAnyEmptyItem() {
        // String.split drops trailing empty items: "80,443," was once read as "80,443" while "80,,443" was refused.
        assertThatThrownBy(() -> PortSet.parse("allow-ports", "80,443,"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow-ports: '80,443,' (expected: ports 0-65535 such as 80,443,8000-8100)");
        assertThatThrownBy(() -> PortSet.parse("allow-ports", "80,,443"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allow-ports: '80,,443' (expected: ports 0-65535 such as 80,443,8000-8100)");
    }

    @Test
    void parse_listWithoutEmptyItems_containsItsPorts() {
        PortSet set = PortSet.parse("allow-ports", "80, 443,8000-8100");
        assertThat(set.contains(443)).isTrue();
        assertThat(set.contains(8050)).isTrue();
        assertThat(set.contains(81)).isFalse();
    }
}
