package dev.sallyport.auth.jdbc;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

/**
 * A data source that a test can cut off: while off, every new connection fails as an unreachable
 * database does (SQLState 08001). The stores take a fresh connection per call, so cutting it off
 * cuts the instance off from PostgreSQL at once.
 */
final class SwitchableDataSource implements DataSource {

    private final DataSource target;
    private volatile boolean reachable = true;

    SwitchableDataSource(DataSource target) {
        this.target = target;
    }

    void reachable(boolean reachable) {
        this.reachable = reachable;
    }

    private void check() throws SQLException {
        if (!reachable) {
            throw new SQLException("test: database cut off", "08001");
        }
    }

    @Override
    public Connection getConnection() throws SQLException {
        check();
        return target.getConnection();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        check();
        return target.getConnection(username, password);
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
