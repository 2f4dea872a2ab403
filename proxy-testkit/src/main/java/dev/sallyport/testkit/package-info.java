/**
 * Testing applications behind Sallyport: {@link dev.sallyport.testkit.SallyportExtension} runs an
 * in-process proxy per test or per class, {@link dev.sallyport.testkit.Faults} makes it misbehave,
 * {@link dev.sallyport.testkit.SessionRecorder} keeps the sessions it saw and
 * {@link dev.sallyport.testkit.EventRecorder} the session events it sent; SOCKS5, SOCKS4 and HTTP
 * test clients (and one driving Netty's proxy handlers), TCP and UDP echo, sink and source servers
 * and a test certificate; and two checks
 * that fail a test on a Netty leak ({@link dev.sallyport.testkit.NettyLeakCheck}) or an
 * unexpected logged exception ({@link dev.sallyport.testkit.LoggedExceptionCheck}).
 */
package dev.sallyport.testkit;
