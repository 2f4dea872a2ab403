package dev.sallyport.server;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DisplayWidthTest {

    @Test
    void of_countsWideCharactersAsTwo_combiningMarksAsNone() {
        assertThat(DisplayWidth.of("alice")).isEqualTo(5);
        assertThat(DisplayWidth.of("山田太郎")).isEqualTo(8);
        assertThat(DisplayWidth.of("한국")).isEqualTo(4);
        assertThat(DisplayWidth.of("ｆｕｌｌ")).isEqualTo(8);
        assertThat(DisplayWidth.of("e\u0301")).isEqualTo(1);
        assertThat(DisplayWidth.of("\uD83D\uDE00")).isEqualTo(2); // an emoji outside the BMP
        assertThat(DisplayWidth.of("ü")).isEqualTo(1);
    }

    @Test
    void padRight_padsToColumns_neverCuts() {
        assertThat(DisplayWidth.padRight("山田", 6)).isEqualTo("山田  ");
        assertThat(DisplayWidth.padRight("ab", 6)).isEqualTo("ab    ");
        assertThat(DisplayWidth.padRight("山田太郎", 4)).isEqualTo("山田太郎");
    }
}
