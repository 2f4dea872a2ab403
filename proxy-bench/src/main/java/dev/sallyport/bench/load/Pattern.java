package dev.sallyport.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The bytes a throughput tunnel carries: a fixed pseudo-random block repeated, so senders write
 * zero-copy slices of one shared direct buffer and receivers verify with CRC32C (an intrinsic,
 * many GB/s) instead of comparing bytes. The block length is a prime, so a dropped, repeated or
 * reordered chunk almost never lines up with the block and changes the checksum.
 */
final class Pattern {

    /** A prime a little under 1 MiB. */
    static final int BLOCK_LENGTH = 1_048_573;
    /** The largest slice written at once. */
    static final int CHUNK = 64 * 1024;

    private static final ByteBuf BLOCK = createBlock();
    private static final Map<Long, Integer> EXPECTED = new ConcurrentHashMap<>();

    private Pattern() {
    }

    private static ByteBuf createBlock() {
        byte[] bytes = new byte[BLOCK_LENGTH];
        new SplittableRandom(0x5a11_9047L).nextBytes(bytes);
        ByteBuf direct = Unpooled.directBuffer(BLOCK_LENGTH, BLOCK_LENGTH).writeBytes(bytes);
        // Shared by every writer: writes release their slice, which must not free the block.
        return Unpooled.unreleasableBuffer(direct.asReadOnly());
    }

    /**
     * The slice to write at stream {@code offset}: at most {@link #CHUNK} bytes, at most
     * {@code remaining}, never crossing the end of the block.
     */
    static ByteBuf slice(long offset, long remaining) {
        int start = (int) (offset % BLOCK_LENGTH);
        int length = (int) Math.min(Math.min(CHUNK, remaining), BLOCK_LENGTH - start);
        return BLOCK.slice(start, length);
    }

    /** CRC32C of the first {@code length} bytes of the stream; cached per length. */
    static int expectedCrc(long length) {
        return EXPECTED.computeIfAbsent(length, Pattern::computeCrc);
    }

    private static int computeCrc(long length) {
        CRC32C crc = new CRC32C();
        long done = 0;
        while (done < length) {
            ByteBuf slice = slice(done, length - done);
            crc.update(slice.nioBuffer());
            done += slice.readableBytes();
        }
        return (int) crc.getValue();
    }

    /** Adds the readable bytes of {@code buf} to {@code crc} without moving its indexes. */
    static void update(CRC32C crc, ByteBuf buf) {
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer());
        } else {
            for (ByteBuffer part : buf.nioBuffers()) {
                crc.update(part);
            }
        }
    }
}
