package dev.sallyport.socks5;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.socksx.SocksVersion;
import io.netty.handler.codec.socksx.v4.AbstractSocks4Message;
import io.netty.handler.codec.socksx.v4.Socks4CommandRequest;
import io.netty.handler.codec.socksx.v4.Socks4CommandType;
import io.netty.util.NetUtil;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Decodes one SOCKS4 or SOCKS4a request into Netty's {@link Socks4CommandRequest}, with the
 * contract of Netty's {@code Socks4ServerDecoder}: a malformed request becomes a message whose
 * {@code decoderResult()} failed (later bytes are discarded), and bytes after a good request are
 * passed on as they come. USERID and HOSTNAME are each at most 255 bytes before their NUL.
 *
 * <p>Written by hand, not Netty's decoder, for two reasons of behaviour (not speed): Netty's
 * {@code DefaultSocks4CommandRequest} refuses DSTPORT 0, which BIND clients send (Netty fixed the
 * SOCKS5 twin of this in netty/netty#7156, not the SOCKS4 one, as of 4.2.18), and it passes a 4a
 * host name through {@code IDN.toASCII} after reading its bytes as ISO-8859-1, so a name with
 * bytes above 0x7F would come out as someone else's punycode name instead of being refused by
 * the host-name rule. Replies still go through Netty's {@code Socks4ServerEncoder}.
 */
final class Socks4RequestDecoder extends ByteToMessageDecoder {

    private static final int MAX_FIELD = 255;
    /** VN CD DSTPORT DSTIP, then at least USERID's NUL. */
    private static final int MIN_LENGTH = 9;
    /** {@link #terminator}: no NUL yet, more bytes may bring it. */
    private static final int PENDING = -1;
    /** {@link #terminator}: no NUL within the limit. */
    private static final int ENDLESS = -2;

    private enum State { REQUEST, PASSING, DISCARDING }

    private State state = State.REQUEST;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case PASSING -> out.add(in.readRetainedSlice(in.readableBytes()));
            case DISCARDING -> in.skipBytes(in.readableBytes());
            default -> request(in, out);
        }
    }

    private void request(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        if (in.getByte(start) != SocksVersion.SOCKS4a.byteValue()) {
            refuse(in, out, "version: " + in.getUnsignedByte(start) + " (expected: 4)");
            return;
        }
        if (in.readableBytes() < MIN_LENGTH) {
            return;
        }
        int userEnd = terminator(in, start + 8);
        if (userEnd < 0) {
            endless(in, out, userEnd, "USERID");
            return;
        }
        int ip = in.getInt(start + 4);
        String host;
        int end = userEnd + 1;
        if ((ip & 0xFFFFFF00) == 0 && ip != 0) {
            // SOCKS4a: DSTIP 0.0.0.x, the host name follows USERID.
            int hostEnd = terminator(in, end);
            if (hostEnd < 0) {
                endless(in, out, hostEnd, "HOSTNAME");
                return;
            }
            host = in.toString(end, hostEnd - end, StandardCharsets.US_ASCII);
            end = hostEnd + 1;
        } else {
            host = NetUtil.intToIpAddress(ip);
        }
        String userId = in.toString(start + 8, userEnd - start - 8, StandardCharsets.US_ASCII);
        Request request = new Request(Socks4CommandType.valueOf(in.getByte(start + 1)), in.getUnsignedShort(start + 2),
                host, userId);
        in.readerIndex(end);
        state = State.PASSING;
        out.add(request);
        if (in.isReadable()) {
            out.add(in.readRetainedSlice(in.readableBytes()));
        }
    }

    /** The index of the NUL that ends the field at {@code from}, or {@link #PENDING} or {@link #ENDLESS}. */
    private static int terminator(ByteBuf in, int from) {
        int limit = Math.min(in.writerIndex(), from + MAX_FIELD + 1);
        int nul = from < limit ? in.indexOf(from, limit, (byte) 0) : -1;
        if (nul >= 0) {
            return nul;
        }
        return limit == from + MAX_FIELD + 1 ? ENDLESS : PENDING;
    }

    /** A field without its NUL: refused once it is longer than the limit, else more bytes may end it. */
    private void endless(ByteBuf in, List<Object> out, int found, String field) {
        if (found == ENDLESS) {
            refuse(in, out, field + ": no NUL within " + MAX_FIELD + " bytes (expected: at most " + MAX_FIELD + ")");
        }
    }

    private void refuse(ByteBuf in, List<Object> out, String why) {
        state = State.DISCARDING;
        in.skipBytes(in.readableBytes());
        Request failed = new Request(Socks4CommandType.CONNECT, 0, "", "");
        failed.setDecoderResult(DecoderResult.failure(new DecoderException(why)));
        out.add(failed);
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        super.decodeLast(ctx, in, SocksPhase.endOfInput(in, out));
    }

    /** Netty's request type without its port check and IDNA conversion: fields as sent. */
    private static final class Request extends AbstractSocks4Message implements Socks4CommandRequest {
        private final Socks4CommandType type;
        private final int dstPort;
        private final String dstAddr;
        private final String userId;

        Request(Socks4CommandType type, int dstPort, String dstAddr, String userId) {
            this.type = type;
            this.dstPort = dstPort;
            this.dstAddr = dstAddr;
            this.userId = userId;
        }

        @Override
        public Socks4CommandType type() {
            return type;
        }

        @Override
        public String userId() {
            return userId;
        }

        @Override
        public String dstAddr() {
            return dstAddr;
        }

        @Override
        public int dstPort() {
            return dstPort;
        }
    }
}
