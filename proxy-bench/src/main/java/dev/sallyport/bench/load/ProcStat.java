package dev.sallyport.bench.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time and resident memory of a process and all its descendants, from {@code /proc}: some
 * proxies (Dante, Squid) split their work over child processes, and each child's share counts.
 * CPU is {@code utime + stime} of every live process in the tree plus {@code cutime + cstime}
 * (children already reaped), in clock ticks of 10 ms; RSS is the sum of {@code VmRSS}.
 */
final class ProcStat {

    /** USER_HZ: 100 on every Linux architecture this runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final long pid;

    private ProcStat(long pid) {
        this.pid = pid;
    }

    /** The tree rooted at {@code pid}, or null for 0 (no process to watch, e.g. direct). */
    static ProcStat of(long pid) {
        if (pid == 0) {
            return null;
        }
        if (!Files.exists(Path.of("/proc", Long.toString(pid), "stat"))) {
            throw new IllegalArgumentException("proxy-pid: " + pid + " (expected: a running process)");
        }
        return new ProcStat(pid);
    }

    /** CPU time of the whole tree so far, in nanoseconds (10 ms resolution). */
    long cpuNanos() {
        long ticks = 0;
        for (long p : tree()) {
            String[] fields = statFields(p);
            if (fields != null) {
                // Fields after "(comm)": index 0 is state (field 3), so utime (14) is index 11.
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12])
                        + Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
            }
        }
        return ticks * NANOS_PER_TICK;
    }

    /** Resident set size of the whole tree, in KiB. */
    long rssKb() {
        long kb = 0;
        for (long p : tree()) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p), "status"))) {
                    if (line.startsWith("VmRSS:")) {
                        kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        break;
                    }
                }
            } catch (IOException e) {
                // The process ended between listing and reading: it holds no memory any more.
            }
        }
        return kb;
    }

    /** CPU time of this JVM (load generator and destination server), in nanoseconds. */
    static long selfCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private List<Long> tree() {
        Map<Long, List<Long>> children = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                long p = Long.parseLong(proc.getFileName().toString());
                String[] fields = statFields(p);
                if (fields != null) {
                    children.computeIfAbsent(Long.parseLong(fields[1]), k -> new ArrayList<>()).add(p);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        List<Long> tree = new ArrayList<>();
        tree.add(pid);
        for (int i = 0; i < tree.size(); i++) {
            tree.addAll(children.getOrDefault(tree.get(i), List.of()));
        }
        return tree;
    }

    /** The fields of /proc/PID/stat after the command name, or null when the process is gone. */
    private static String[] statFields(long p) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(p), "stat"));
        } catch (IOException e) {
            return null;
        }
        // The command name may contain spaces and parentheses: split after the last ')'.
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    }
}
