package dev.sallyport.core;

/**
 * The I/O transport of listeners and outbound connections ({@link ProxyManager.Builder#transport}).
 * Linux transports need their native library and a kernel that lets them run (io_uring is often
 * switched off in containers by their seccomp profile).
 */
public enum IoTransport {
    /** The first that runs here: io_uring, then epoll, then NIO; the startup log says which, and why not the others. */
    AUTO,
    /** Linux io_uring; start fails where it cannot run. */
    IO_URING,
    /** Linux epoll; start fails where it cannot run. */
    EPOLL,
    /** Java NIO: runs everywhere. */
    NIO
}
