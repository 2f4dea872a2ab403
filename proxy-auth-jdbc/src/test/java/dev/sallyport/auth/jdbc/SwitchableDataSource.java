package dev.sallyport.auth.jdbc;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

/**
 * A data source that a test can cut off: while off, every new connection fails as an unreachable
 * database does (SQLState 08001), and so does every call on a connection already open (08006), as
 * when the network between the instance and PostgreSQL goes away.
 */
final class SwitchableDataSource implements DataSource {

    private final DataSource target;
    private volatile boolean reachable = true;
    private volatile java.util.concurrent.CountDownLatch hang;

    SwitchableDataSource(DataSource target) {
        this.target = target;
    }

    void reachable(boolean reachable) {
        this.reachable = reachable;
    }

    /**
     * From now on, a new connection waits until {@code release} opens, and ignores interrupts
     * meanwhile, as a pool waiting for a connection or a connect that gets no answer does.
     */
    void hangUntil(java.util.concurrent.CountDownLatch release) {
        this.hang = release;
    }

    private void check() throws SQLException {
        java.util.concurrent.CountDownLatch waitFor = hang;
        if (waitFor != null) {
            boolean interrupted = false;
            while (waitFor.getCount() > 0) {
                try {
                    waitFor.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (!reachable) {
            throw new SQLException("test: database cut off", "08001");
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        check();
        return cutOffWithThis(target.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        check();
        return cutOffWithThis(target.getConnection(username, password));
    }

    /** {@code connection}, failing every call but close while this source is cut off. */
    private Connection cutOffWithThis(Connection connection) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (!reachable && !method.getName().equals("close") && !method.getName().equals("isClosed")) {
                        throw new SQLException("test: connection cut off", "08006");
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return target.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return target.isWrapperFor(type);
    }
}
