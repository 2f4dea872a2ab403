package dev.sallyport.auth.jdbc;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementExceptions;

import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Jdbi instance and the bounded executor every blocking call runs on. A full queue fails the
 * call at once instead of queueing without bound; a call whose stage was cancelled before its turn
 * is skipped.
 */
final class Db implements AutoCloseable {

    final Jdbi jdbi;
    private final ThreadPoolExecutor executor;
    /** With {@link #kept}: each thread's own open connection, and all of them, to close. */
    private final ThreadLocal<Handle> threadHandle = new ThreadLocal<>();
    private final Set<Handle> handles = ConcurrentHashMap.newKeySet();
    /** The store's own calls log outages here, once per change; null for the fleet's (it logs its own). */
    private final OutageLog outage;

    Db(DataSource dataSource, int threads, int queue) {
        this(dataSource, threads, queue, "sallyport-jdbc-", false, new OutageLog());
    }

    Db(DataSource dataSource, int threads, int queue, String threadPrefix) {
        this(dataSource, threads, queue, threadPrefix, false);
    }

    /**
     * With {@code keepThreads}, the threads never time out, so that each may keep a connection
     * open for {@link #kept} calls.
     */
    Db(DataSource dataSource, int threads, int queue, String threadPrefix, boolean keepThreads) {
        this(dataSource, threads, queue, threadPrefix, keepThreads, null);
    }

    /** The store's: {@code outage} hears how each call ended. */
    Db(DataSource dataSource, int threads, int queue, String threadPrefix, boolean keepThreads, OutageLog outage) {
        this.outage = outage;
        this.jdbi = Jdbi.create(dataSource);
        // Jdbi's other renderings append the bound values (password and token hashes) to messages.
        this.jdbi.getConfig(StatementExceptions.class)
                .setMessageRendering(StatementExceptions.MessageRendering.NONE);
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                daemonThreads(threadPrefix));
        this.executor.allowCoreThreadTimeOut(!keepThreads);
    }

    /**
     * Runs {@code work} on the calling thread's own connection, opened on first use and kept:
     * a call costs its round trips, not a connection's setup (a plain data source opens one per
     * call). A call that fails closes the connection; the next one opens a fresh one. For threads
     * that live as long as this instance (see the constructor), closed by {@link #close()}.
     */
    <T> T kept(HandleCallback<T, RuntimeException> work) {
        Handle handle = threadHandle.get();
        if (handle == null) {
            handle = jdbi.open();
            threadHandle.set(handle);
            handles.add(handle);
        }
        try {
            return work.withHandle(handle);
        } catch (RuntimeException e) {
            threadHandle.remove();
            handles.remove(handle);
            closeQuietly(handle);
            throw e;
        }
    }

    private static void closeQuietly(Handle handle) {
        try {
            handle.close();
        } catch (RuntimeException ignored) {
            // Broken already: the point was to let it go.
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread thread = new Thread(r, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Runs {@code work} on the executor. {@link IllegalArgumentException} passes through (it names
     * the input to fix); anything else from the database is wrapped once, as
     * {@link IllegalStateException} naming the operation.
     */
    <T> CompletionStage<T> submit(String operation, Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                if (result.isDone()) {
                    return; // cancelled by the caller while it waited: nobody wants the answer any more
                }
                try {
                    T value = work.call();
                    if (outage != null) {
                        outage.answered();
                    }
                    result.complete(value);
                } catch (IllegalArgumentException e) {
                    result.completeExceptionally(e);
                } catch (Exception e) {
                    if (outage != null) {
                        outage.failed(operation, e);
                    }
                    result.completeExceptionally(wrap(operation, e));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("jdbc: " + operation + " refused: "
                    + (executor.isShutdown() ? "store closed" : "more than " + executor.getQueue().size()
                    + " calls queued (expected: fewer concurrent database calls, or more threads)"), e));
        }
        return result;
    }

    static IllegalStateException wrap(String operation, Exception e) {
        return new IllegalStateException("jdbc: " + operation + " failed" + describe(e), e);
    }

    /**
     * A short, value-free description for log lines and messages: what kind of failure it is
     * ({@link DbError}), when it is one an operator fixes outside Sallyport, and the SQLState.
     * Server messages are left out on purpose: their details repeat row values.
     */
    static String describe(Throwable e) {
        DbError kind = DbError.of(e);
        return (kind == DbError.OTHER ? "" : ": " + kind.text()) + " (" + sqlState(e) + ")";
    }

    /**
     * A data source for the LISTEN connection, held for the store's life: the plain PostgreSQL
     * one under a pool when there is one, so it never takes the pool's place; otherwise
     * {@code dataSource} itself.
     */
    static DataSource direct(DataSource dataSource) {
        try {
            if (!(dataSource instanceof PGSimpleDataSource) && dataSource.isWrapperFor(PGSimpleDataSource.class)) {
                return dataSource.unwrap(PGSimpleDataSource.class);
            }
        } catch (SQLException e) {
            // Not unwrappable after all: use it as it is.
        }
        return dataSource;
    }

    /**
     * Whether retrying the same statement cannot help: a data or integrity error, a syntax or
     * access error. Everything else (connection loss, deadlock, a shutdown) is worth a retry.
     */
    static boolean permanent(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                return state.startsWith("22") || state.startsWith("23") || state.startsWith("42")
                        || state.startsWith("44");
            }
        }
        return false;
    }

    static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return "SQLState " + sql.getSQLState();
            }
        }
        return e.getClass().getSimpleName();
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (Handle handle : handles) {
            closeQuietly(handle);
        }
        handles.clear();
    }
}
