package dev.sallyport.testkit;

import java.util.Random;

/**
 * Test data that a receiver can check without keeping a copy: a deterministic pattern where the
 * byte at stream position {@code i} is {@link #pattern(long)}, and seeded random bytes.
 * {@link TcpServer#source(long)} and {@link UdpServer#source(int, int)} send the pattern.
 */
public final class TestBytes {

    private TestBytes() {
    }

    /**
     * The pattern byte at stream position {@code index} (not periodic at 256: offsets show up).
     *
     * @param index the stream position
     * @return the byte
     */
    public static byte pattern(long index) {
        return (byte) (index * 31 + (index >>> 8));
    }

    /**
     * {@code length} pattern bytes starting at stream position {@code offset}.
     *
     * @param offset the stream position of the first byte
     * @param length the number of bytes
     * @return the bytes
     */
    public static byte[] pattern(long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset, length: " + offset + ", " + length + " (expected: >= 0)");
        }
        byte[] data = new byte[length];
        fill(data, 0, length, offset);
        return data;
    }

    /** Writes the pattern for stream positions {@code position...} into {@code data[from, from + length)}. */
    static void fill(byte[] data, int from, int length, long position) {
        for (int i = 0; i < length; i++) {
            data[from + i] = pattern(position + i);
        }
    }

    /**
     * The index in {@code data} of the first byte that differs from the pattern at stream position
     * {@code offset + index}, or -1 when every byte matches.
     *
     * @param data the bytes to check
     * @param offset the stream position of {@code data[0]}
     * @return the first mismatch, or -1
     */
    public static int firstMismatch(byte[] data, long offset) {
        for (int i = 0; i < data.length; i++) {
            if (data[i] != pattern(offset + i)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * {@code size} random bytes from {@code seed}: the same seed gives the same bytes.
     *
     * @param size the number of bytes
     * @param seed the seed
     * @return the bytes
     */
    public static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }
}
