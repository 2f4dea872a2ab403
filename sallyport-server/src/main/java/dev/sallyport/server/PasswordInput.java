package dev.sallyport.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A secret read from standard input ({@code users add --password-stdin}), so that it never shows
 * in the process list or the shell history: {@code printf '%s\n' "$PW" | sallyport users add alice
 * --password-stdin}.
 */
final class PasswordInput {

    /** Far beyond any password a store accepts, so a longer line is refused by length, never cut. */
    private static final int MAX_BYTES = 8192;

    private PasswordInput() {
    }

    /**
     * The first line of {@code in} as UTF-8, without its line end ({@code \n} or {@code \r\n});
     * null when the input ends before any byte. Reads no further than the line end.
     *
     * @throws IllegalArgumentException when the line is not UTF-8
     */
    static String firstLine(InputStream in) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            while (b >= 0 && b != '\n' && line.size() < MAX_BYTES) {
                line.write(b);
                b = in.read();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("--password-stdin: " + e.getMessage(), e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            // Never "repaired" into U+FFFD: the password would not be the one typed.
            throw new IllegalArgumentException("password: not valid UTF-8 (expected: the password as UTF-8 text)");
        }
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }
}
