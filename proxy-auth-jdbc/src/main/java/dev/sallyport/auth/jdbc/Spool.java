package dev.sallyport.auth.jdbc;

import dev.sallyport.api.Command;
import dev.sallyport.api.Outcome;
import dev.sallyport.api.Protocol;
import dev.sallyport.api.SessionSummary;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The accounting records an instance could not write before it closed, kept in a local file and
 * written on the next start.
 *
 * <p><b>File.</b> One file per closing sink, {@code accounting-INSTANCE.spool}: a magic number, the
 * format version, the instance id, the record count, the records, and a CRC-32 of everything
 * before it. Written to a {@code .tmp} file created with mode 600 (it holds user names and client
 * addresses), forced to disk, renamed into place atomically, and the directory forced: a file with
 * the final name is complete. At most the sink's buffer size records: the spool is the buffer.
 *
 * <p><b>Replay.</b> Each file is read and checked whole first; a file that does not check out (a
 * wrong magic, an unknown version, short, a bad CRC) or a {@code .tmp} left by a crash is renamed
 * aside ({@code .corrupt}) and reported at ERROR, never applied in part. A good file is written in
 * one transaction with the instance id it was spooled under, through the same statement as live
 * records: access-log rows already in the database (a close that half-succeeded, a replay that
 * committed but could not delete its file) insert nothing and add no usage. Then it is deleted.
 */
final class Spool {

    private static final Logger log = LoggerFactory.getLogger(Spool.class);
    private static final int MAGIC = 0x53504f4c; // "SPOL"
    /** Version 2 adds each record's route and upstream; version 1 files (without them) are still read. */
    static final int VERSION = 2;
    private static final String PREFIX = "accounting-";
    private static final String SUFFIX = ".spool";

    private final Path directory;

    Spool(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    /** Writes {@code records} of {@code instanceId}; returns the file. */
    Path write(UUID instanceId, List<SessionSummary> records) throws IOException {
        Files.createDirectories(directory, privateAttributes("rwx------"));
        Path file = directory.resolve(PREFIX + instanceId + SUFFIX);
        Path tmp = directory.resolve(PREFIX + instanceId + SUFFIX + ".tmp");
        Files.deleteIfExists(tmp);
        try (FileChannel channel = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                privateAttributes("rw-------"))) {
            CRC32 crc = new CRC32();
            DataOutputStream out = new DataOutputStream(new CheckedOutputStream(
                    new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16), crc));
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(instanceId.getMostSignificantBits());
            out.writeLong(instanceId.getLeastSignificantBits());
            out.writeInt(records.size());
            for (SessionSummary s : records) {
                writeRecord(out, s);
            }
            out.flush();
            new DataOutputStream(Channels.newOutputStream(channel)).writeLong(crc.getValue());
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory();
        return file;
    }

    /**
     * Writes every spool file in the directory, each in one transaction of batches of
     * {@code batchSize}, and deletes it; returns how many records were replayed. A database
     * failure propagates and leaves the file for the next try.
     */
    int replay(Jdbi jdbi, int batchSize) {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        int replayed = 0;
        for (Path file : files()) {
            String name = file.getFileName().toString();
            if (name.endsWith(".tmp")) {
                // A minute old: not one another instance sharing the directory is writing right now.
                if (olderThanAMinute(file)) {
                    setAside(file, "it was left half-written by a process that stopped while spooling");
                }
                continue;
            }
            Contents contents;
            try (InputStream in = Files.newInputStream(file)) {
                contents = read(in);
            } catch (IOException | RuntimeException e) {
                setAside(file, e instanceof EOFException ? "it ends early"
                        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
                continue;
            }
            String instance = contents.instanceId().toString();
            List<SessionSummary> records = contents.records();
            try {
                jdbi.useTransaction(h -> {
                    for (int i = 0; i < records.size(); i += batchSize) {
                        UsageStatements.closed(h, instance, records.subList(i, Math.min(records.size(), i + batchSize)));
                    }
                });
            } catch (RuntimeException e) {
                if (!Db.permanent(e)) {
                    throw e;
                }
                // Retrying would fail the same way: keep it for an operator rather than block accounting.
                setAside(file, "the database refuses it" + Db.describe(e));
                continue;
            }
            try {
                Files.delete(file);
                forceDirectory();
            } catch (IOException e) {
                // Replaying it again adds nothing: its rows are in the database now.
                log.warn("Replayed the accounting spool {} but cannot delete it ({}); it is replayed again, "
                        + "without effect, on the next start", file, e.toString());
            }
            log.info("Replayed the accounting spool {}: {} record(s), of which any already in the database were "
                    + "skipped", file, records.size());
            replayed += records.size();
        }
        return replayed;
    }

    /** Whether there is anything to replay (cheap: one directory listing). */
    boolean hasFiles() {
        return Files.isDirectory(directory) && !files().isEmpty();
    }

    private List<Path> files() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, PREFIX + "*" + SUFFIX + "*")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                if (name.endsWith(SUFFIX) || name.endsWith(SUFFIX + ".tmp")) {
                    files.add(file);
                }
            }
        } catch (IOException e) {
            log.error("Cannot list the accounting spool directory {} ({})", directory, e.toString());
        }
        files.sort(null);
        return files;
    }

    private static boolean olderThanAMinute(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant().isBefore(Instant.now().minusSeconds(60));
        } catch (IOException e) {
            return false;
        }
    }

    private void setAside(Path file, String why) {
        Path aside = file.resolveSibling(file.getFileName() + ".corrupt");
        try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            log.error("The accounting spool {} is unreadable ({}); nothing of it was written; kept as {}", file, why, aside);
        } catch (IOException e) {
            log.error("The accounting spool {} is unreadable ({}) and cannot be set aside ({})", file, why, e.toString());
        }
    }

    record Contents(UUID instanceId, List<SessionSummary> records) {
    }

    /** Reads and checks a whole spool file. */
    static Contents read(InputStream raw) throws IOException {
        CRC32 crc = new CRC32();
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
        DataInputStream in = new DataInputStream(new CheckedInputStream(buffered, crc));
        if (in.readInt() != MAGIC) {
            throw new IOException("not a spool file");
        }
        int version = in.readInt();
        if (version != 1 && version != VERSION) {
            throw new IOException("format version " + version + " (expected: 1 to " + VERSION + ")");
        }
        UUID instance = new UUID(in.readLong(), in.readLong());
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("record count " + count);
        }
        List<SessionSummary> records = new ArrayList<>(Math.min(count, 1 << 16));
        for (int i = 0; i < count; i++) {
            records.add(readRecord(in, version));
        }
        long expected = crc.getValue();
        long stored = new DataInputStream(buffered).readLong();
        if (stored != expected || buffered.read() != -1) {
            throw new IOException("checksum mismatch or trailing bytes");
        }
        return new Contents(instance, records);
    }

    private static void writeRecord(DataOutputStream out, SessionSummary s) throws IOException {
        out.writeLong(s.id());
        writeText(out, s.user());
        InetAddress ip = s.client().getAddress();
        byte[] bytes = ip == null ? new byte[0] : ip.getAddress();
        out.writeByte(bytes.length);
        out.write(bytes);
        out.writeInt(s.client().getPort());
        out.writeUTF(s.protocol().id());
        writeText(out, s.command() == null ? null : s.command().name());
        writeText(out, s.targetHost());
        out.writeInt(s.targetPort());
        out.writeLong(s.bytesUp());
        out.writeLong(s.bytesDown());
        out.writeLong(s.started().getEpochSecond());
        out.writeInt(s.started().getNano());
        out.writeLong(s.duration().toNanos());
        out.writeUTF(s.outcome().name());
        writeText(out, s.rule());
        writeText(out, s.triedUser());
        writeText(out, s.route());
        writeText(out, s.upstream());
    }

    private static SessionSummary readRecord(DataInputStream in, int version) throws IOException {
        long id = in.readLong();
        String user = readText(in);
        byte[] ip = new byte[in.readUnsignedByte()];
        in.readFully(ip);
        int port = in.readInt();
        InetSocketAddress client = ip.length == 0 ? InetSocketAddress.createUnresolved("unknown", port)
                : new InetSocketAddress(InetAddress.getByAddress(ip), port);
        Protocol protocol = protocol(in.readUTF());
        String command = readText(in);
        String targetHost = readText(in);
        int targetPort = in.readInt();
        long up = in.readLong();
        long down = in.readLong();
        Instant started = Instant.ofEpochSecond(in.readLong(), in.readInt());
        Duration duration = Duration.ofNanos(in.readLong());
        Outcome outcome = Outcome.valueOf(in.readUTF());
        String rule = readText(in);
        String triedUser = readText(in);
        String route = version >= 2 ? readText(in) : null;
        String upstream = version >= 2 ? readText(in) : null;
        return new SessionSummary(id, user, client, protocol, command == null ? null : Command.valueOf(command),
                targetHost, targetPort, up, down, started, duration, outcome, rule, triedUser, route, upstream);
    }

    private static Protocol protocol(String id) throws IOException {
        for (Protocol protocol : Protocol.values()) {
            if (protocol.id().equals(id)) {
                return protocol;
            }
        }
        throw new IOException("unknown protocol '" + id + "'");
    }

    private static void writeText(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value.length() > 8192 ? value.substring(0, 8192) : value);
        }
    }

    private static String readText(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not every file system lets a directory be opened; the rename is still atomic.
            log.debug("Cannot force the spool directory {} to disk", directory, e);
        }
    }

    private FileAttribute<?>[] privateAttributes(String mode) {
        if (!directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return new FileAttribute<?>[0];
        }
        return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode))};
    }
}
