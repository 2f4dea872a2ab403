package dev.sallyport.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rule for new names: no ':' (HTTP Basic), no blank at either end; lookups stay as loose as storage. */
class UserNameRuleTest {

    @Test
    void name_withAColon_isRefusedNamingWhy() {
        assertThatThrownBy(() -> UserNames.validate("a:b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name: contains ':' at index 1 (expected: no ':', which HTTP Basic cannot carry in a name)");
    }

    @Test
    void name_withASpaceAtEitherEnd_isRefused_includingUnicodeBlanks() {
        for (String name : new String[] {" bob", "bob ", "bob\u00A0", "\u3000bob", "\u2003bob"}) {
            assertThatThrownBy(() -> UserNames.validate(name)).as(name).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("name: '" + name + "' starts or ends with a space (expected: no space or other blank at either end)");
        }
    }

    @Test
    void name_withInnerSpacesOrWideCharacters_isAccepted() {
        UserNames.validate("mary ann");
        UserNames.validate("山田太郎");
        UserNames.validate("ü");
    }

    @Test
    void plausible_stillAcceptsNamesStoredBeforeTheRule_soTheyCanSignInAndBeRemoved() {
        assertThat(UserNames.plausible("a:b")).isTrue();
        assertThat(UserNames.plausible(" bob")).isTrue();
        assertThat(UserNames.plausible("a\u0000")).isFalse();
    }

    @Test
    void rule_namesEveryPart() {
        assertThat(UserNames.RULE).contains("1-255 bytes of UTF-8", "control", "':'", "space");
    }
}
