package dev.sallyport.bench.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Byte inputs for decoders: fully random bytes, and valid messages (from a protocol's own
 * generator, which already draws boundary and inconsistent length fields) bent by structure-blind
 * mutations: cut short, a random or pipelined tail, a byte set to a boundary value, a byte
 * inserted or removed. Inputs are cut into the reads a socket might deliver ({@link #cuts}).
 */
final class Inputs {

    /** Values that sit on the edges of one-byte length, version and type fields. */
    private static final int[] BOUNDARY_BYTES = {0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xfe, 0xff};

    private Inputs() {
    }

    /** Fully random bytes, 0 to {@code maxSize} of them (drawn from a seed: cheap to make, shrinks by length). */
    static Arbitrary<byte[]> random(int maxSize) {
        return Combinators.combine(Arbitraries.integers().between(0, maxSize), Arbitraries.longs())
                .as((size, seed) -> seeded(seed, size));
    }

    /** Exactly {@code size} random bytes from {@code seed}. */
    static byte[] seeded(long seed, int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    /** One byte, often a boundary value. */
    static Arbitrary<Integer> edgyByte() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of(Arrays.stream(BOUNDARY_BYTES).boxed().toList())),
                Tuple.of(1, Arbitraries.integers().between(0, 255)));
    }

    /**
     * {@code content} after a one-byte length field that holds its true length most often, else a
     * boundary value (0, 1, 254, 255), one off, or anything.
     */
    static Arbitrary<byte[]> lengthPrefixed(Arbitrary<byte[]> content) {
        return Combinators.combine(content, Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 255))
                .as((c, lie, any) -> {
                    int actual = c.length;
                    int declared = lie < 6 ? actual
                            : lie < 8 ? new int[] {0, 1, 254, 255}[any & 3]
                            : lie < 9 ? actual + ((any & 1) == 0 ? 1 : -1)
                            : any;
                    return concat(bytes(declared & 0xff), c);
                });
    }

    /** A length for a field of one-byte length: a boundary length often, else anything up to {@code max}. */
    static Arbitrary<Integer> fieldLength(int max) {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of(0, 1, 2, 63, 64, 253, 254, 255).filter(n -> n <= max)),
                Tuple.of(2, Arbitraries.integers().between(0, max)));
    }

    /** {@code valid} as it is, mutated once or twice, or random bytes: what a decoder is fed. */
    static Arbitrary<byte[]> mix(Arbitrary<byte[]> valid, int maxRandom) {
        Arbitrary<byte[]> mutated = mutated(valid);
        return Arbitraries.frequencyOf(
                Tuple.of(2, random(maxRandom)),
                Tuple.of(2, valid),
                Tuple.of(5, mutated),
                Tuple.of(1, mutated(mutated)));
    }

    /** {@code messages}, each bent by one {@link Mutation}. */
    static Arbitrary<byte[]> mutated(Arbitrary<byte[]> messages) {
        return Combinators.combine(messages, Arbitraries.of(Mutation.class), Arbitraries.integers().between(0, 1 << 16),
                edgyByte(), random(64)).as((message, mutation, where, value, tail) -> mutation.apply(message, where, value, tail));
    }

    /** What a mutation does to a message; {@code where} is taken modulo the message's length. */
    enum Mutation {
        /** Cut short: the peer stops mid-message. */
        CUT,
        /** Random bytes after it. */
        TAIL,
        /** The message twice (pipelined). */
        TWICE,
        /** One byte set to a boundary or random value. */
        SET,
        /** One byte inserted: every length field after it is off by one. */
        INSERT,
        /** One byte removed. */
        REMOVE;

        byte[] apply(byte[] message, int where, int value, byte[] tail) {
            int length = message.length;
            int at = length == 0 ? 0 : where % length;
            return switch (this) {
                case CUT -> Arrays.copyOf(message, length == 0 ? 0 : where % (length + 1));
                case TAIL -> concat(message, tail);
                case TWICE -> concat(message, message);
                case SET -> {
                    byte[] copy = message.clone();
                    if (length > 0) {
                        copy[at] = (byte) value;
                    }
                    yield copy;
                }
                case INSERT -> concat(Arrays.copyOf(message, at), bytes(value), Arrays.copyOfRange(message, at, length));
                case REMOVE -> length == 0 ? message : concat(Arrays.copyOf(message, at), Arrays.copyOfRange(message, at + 1, length));
            };
        }
    }

    /**
     * How the input is cut into reads: whole, byte by byte, or pieces of sizes drawn (1 to 64,
     * used in turn).
     */
    static Arbitrary<int[]> cuts() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.just(new int[] {Integer.MAX_VALUE})),
                Tuple.of(1, Arbitraries.just(new int[] {1})),
                Tuple.of(3, Arbitraries.integers().between(1, 64).array(int[].class).ofMinSize(1).ofMaxSize(6)));
    }

    /** Splits {@code input} into the pieces {@code cuts} describes. */
    static List<byte[]> pieces(byte[] input, int[] cuts) {
        List<byte[]> pieces = new ArrayList<>();
        for (int at = 0, i = 0; at < input.length; i++) {
            int size = Math.min(cuts[i % cuts.length], input.length - at);
            pieces.add(Arrays.copyOfRange(input, at, at + size));
            at += size;
        }
        return pieces;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }

    /** The bytes of {@code values}, each taken as an unsigned byte. */
    static byte[] bytes(int... values) {
        byte[] raw = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            raw[i] = (byte) values[i];
        }
        return raw;
    }
}
