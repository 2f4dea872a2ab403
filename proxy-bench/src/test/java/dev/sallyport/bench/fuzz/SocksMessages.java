package dev.sallyport.bench.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.sallyport.bench.fuzz.Inputs.bytes;
import static dev.sallyport.bench.fuzz.Inputs.concat;

/**
 * SOCKS messages as a client could send them, field by field, mostly well formed: versions,
 * commands and address types mostly right and sometimes not, one-byte lengths that sometimes
 * disagree with what follows or sit on 0, 1, 254, 255, names valid and not. {@link Inputs#mix}
 * then bends them further.
 */
final class SocksMessages {

    /** Valid openings: greetings offering no authentication or a password, and a login the fuzz session accepts. */
    static final byte[] GREETING_NO_AUTH = bytes(5, 1, 0);
    static final byte[] GREETING_PASSWORD = bytes(5, 1, 2);
    static final byte[] LOGIN = concat(bytes(1, 5), ascii("alice"), bytes(6), ascii("secret"));

    private static final String LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-";
    private static final String[] NAMES = {
        "localhost", "127.0.0.1", "::1", "[::1]", "::ffff:127.0.0.1", "::7f00:1", "0x7f.1", "2130706433",
        "1.2.3.4.5", "a..b", ".", "-a.b", "a-.b", "xn--bcher-kva.test", "_srv.test", "a b", "a;b", "a\u0000b",
        "a".repeat(63) + ".test", "a".repeat(64) + ".test", "a".repeat(253), "a".repeat(254), "a".repeat(255),
    };

    private SocksMessages() {
    }

    /** Method selection, RFC 1928 section 3: {@code VER NMETHODS METHODS}. */
    static Arbitrary<byte[]> greeting() {
        // Methods mostly 0 (none) and 2 (password), some anything.
        Arbitrary<byte[]> methods = Combinators.combine(Inputs.fieldLength(255), Arbitraries.longs()).as((n, seed) -> {
            SplittableRandom random = new SplittableRandom(seed);
            byte[] m = new byte[n];
            for (int i = 0; i < n; i++) {
                m[i] = (byte) (random.nextInt(4) > 0 ? random.nextInt(2) * 2 : random.nextInt(256));
            }
            return m;
        });
        return Combinators.combine(version(5), Inputs.lengthPrefixed(methods)).as((v, m) -> concat(bytes(v), m));
    }

    /** Username/password, RFC 1929 section 2: {@code VER ULEN UNAME PLEN PASSWD}. */
    static Arbitrary<byte[]> login() {
        return Combinators.combine(version(1), Inputs.lengthPrefixed(text()), Inputs.lengthPrefixed(text()))
                .as((v, user, password) -> concat(bytes(v), user, password));
    }

    /** A request, RFC 1928 section 4: {@code VER CMD RSV ATYP DST.ADDR DST.PORT}. */
    static Arbitrary<byte[]> request() {
        Arbitrary<Integer> command = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(1, 2, 3)), Tuple.of(1, Inputs.edgyByte()));
        Arbitrary<Integer> reserved = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(0)), Tuple.of(1, Inputs.edgyByte()));
        return Combinators.combine(version(5), command, reserved, address(), port())
                .as((v, cmd, rsv, address, port) -> concat(bytes(v, cmd, rsv), address, port));
    }

    /** The UDP request header, RFC 1928 section 7: {@code RSV FRAG ATYP DST.ADDR DST.PORT DATA}. */
    static Arbitrary<byte[]> datagram() {
        Arbitrary<byte[]> reserved = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(bytes(0, 0))), Tuple.of(1, Inputs.random(2)));
        Arbitrary<Integer> fragment = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(0)), Tuple.of(1, Inputs.edgyByte()));
        return Combinators.combine(reserved, fragment, address(), port(), Inputs.random(32))
                .as((rsv, frag, address, port, data) -> concat(rsv, bytes(frag), address, port, data));
    }

    /**
     * SOCKS4 and 4a: {@code VN CD DSTPORT DSTIP USERID NUL}, and for 4a (DSTIP 0.0.0.x, x not 0)
     * {@code HOSTNAME NUL}; fields sometimes without their NUL or longer than 255 bytes.
     */
    static Arbitrary<byte[]> socks4() {
        Arbitrary<Integer> command = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(1, 2)), Tuple.of(1, Inputs.edgyByte()));
        Arbitrary<byte[]> ip = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.integers().between(1, 255).map(x -> bytes(0, 0, 0, x))),
                Tuple.of(1, Arbitraries.just(bytes(0, 0, 0, 0))),
                Tuple.of(2, Arbitraries.longs().map(seed -> Inputs.seeded(seed, 4))));
        Arbitrary<byte[]> userId = terminated(Arbitraries.integers().between(0, 300));
        Arbitrary<byte[]> host = Arbitraries.frequencyOf(
                Tuple.of(3, name().map(n -> concat(n, bytes(0)))),
                Tuple.of(1, terminated(Arbitraries.of(0, 1, 253, 254, 255, 256, 300))));
        return Combinators.combine(version(4), command, port(), ip, userId, host)
                .as((v, cmd, port, dst, user, name) -> {
                    boolean socks4a = dst[0] == 0 && dst[1] == 0 && dst[2] == 0 && dst[3] != 0;
                    return concat(bytes(v, cmd), port, dst, user, socks4a ? name : new byte[0]);
                });
    }

    /** ATYP and DST.ADDR: IPv4, IPv6, a name of declared length, or an unknown type. */
    static Arbitrary<byte[]> address() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.longs().map(seed -> concat(bytes(1), Inputs.seeded(seed, 4)))),
                Tuple.of(2, Arbitraries.longs().map(seed -> concat(bytes(4), Inputs.seeded(seed, 16)))),
                Tuple.of(4, Inputs.lengthPrefixed(name()).map(n -> concat(bytes(3), n))),
                Tuple.of(1, Combinators.combine(Inputs.edgyByte(), Inputs.random(20)).as((t, rest) -> concat(bytes(t), rest))));
    }

    /** DST.PORT: often 0, 1 or 65535. */
    static Arbitrary<byte[]> port() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of(0, 1, 80, 65535)),
                Tuple.of(2, Arbitraries.integers().between(0, 65535)))
                .map(p -> bytes(p >> 8, p & 0xff));
    }

    /** A host name field: names that pass the host-name rule, names just past its limits, and any bytes. */
    static Arbitrary<byte[]> name() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Combinators.combine(Arbitraries.integers().between(1, 6), Arbitraries.longs()).as(SocksMessages::labels)),
                Tuple.of(2, Arbitraries.of(NAMES).map(SocksMessages::latin1)),
                Tuple.of(1, Combinators.combine(Inputs.fieldLength(255), Arbitraries.longs()).as((n, seed) -> Inputs.seeded(seed, n))));
    }

    /** {@code count} dot-separated labels of 1 to 64 letters, digits and hyphens. */
    private static byte[] labels(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < count; i++) {
            name.append(i == 0 ? "" : ".");
            int length = 1 + random.nextInt(random.nextInt(8) == 0 ? 64 : 12);
            for (int j = 0; j < length; j++) {
                name.append(LABEL_CHARS.charAt(random.nextInt(LABEL_CHARS.length())));
            }
        }
        return ascii(name.toString());
    }

    private static Arbitrary<Integer> version(int right) {
        return Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(right)), Tuple.of(1, Inputs.edgyByte()));
    }

    /** User names and passwords: ASCII, UTF-8 beyond ASCII, or any bytes, of boundary lengths. */
    private static Arbitrary<byte[]> text() {
        return Combinators.combine(Arbitraries.integers().between(0, 3), Inputs.fieldLength(255), Arbitraries.longs())
                .as((kind, n, seed) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    if (kind == 0) {
                        return Inputs.seeded(seed, n);
                    }
                    StringBuilder text = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        text.append(kind == 1 ? (char) random.nextInt(0x20, 0x7f) : "aé€\u00ff\ud83d\ude00".charAt(random.nextInt(6)));
                    }
                    byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
                    return Arrays.copyOf(utf8, Math.min(utf8.length, 255));
                });
    }

    /** Bytes without NUL of the drawn length, followed by a NUL most of the time. */
    private static Arbitrary<byte[]> terminated(Arbitrary<Integer> length) {
        return Combinators.combine(length, Arbitraries.longs(), Arbitraries.integers().between(0, 5)).as((n, seed, nul) -> {
            SplittableRandom random = new SplittableRandom(seed);
            byte[] field = new byte[n + (nul > 0 ? 1 : 0)];
            for (int i = 0; i < n; i++) {
                field[i] = (byte) random.nextInt(1, 256);
            }
            return field;
        });
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] latin1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
