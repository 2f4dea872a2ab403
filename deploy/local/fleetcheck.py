#!/usr/bin/env python3
"""Client side of deploy/local/fleet.sh: SOCKS5 tunnels from chosen loopback source addresses.

Standard library only. The proxy user's password comes from the environment variable FLEET_PASSWORD
(never the command line). Every wait is bounded. Subcommands (exit 0 when the expectation holds):

  limit   open --allowed tunnels (all must succeed), then --extra more attempts (all must be refused)
  revoke  open --count tunnels, run the command given after --, and record when each tunnel closes;
          prints how long the last close came after the command's first output line (the change
          is committed then); fails beyond --within
  tunnels open --count short tunnels that each fetch --path over HTTP; all must succeed
  sessions  print how many open sessions each metrics URL lists for --user
  states  print HAProxy's server states from its stats --socket
"""
import argparse
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.request

REPLIES = {0: "succeeded", 1: "general failure", 2: "not allowed by ruleset", 3: "network unreachable",
           4: "host unreachable", 5: "connection refused", 6: "TTL expired", 7: "command not supported",
           8: "address type not supported"}


def host_port(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def read_all(sock):
    """Everything the peer sends until it closes."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed during the SOCKS5 handshake")
        data += chunk
    return data


def socks5(proxy, source, user, password, target, timeout=5.0):
    """A SOCKS5 CONNECT (RFC 1928, username/password RFC 1929); returns (socket or None, outcome text)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect(proxy)
        sock.sendall(b"\x05\x01\x02")
        if recv_exactly(sock, 2) != b"\x05\x02":
            return None, "no username/password method"
        u, p = user.encode(), password.encode()
        sock.sendall(b"\x01" + bytes([len(u)]) + u + bytes([len(p)]) + p)
        if recv_exactly(sock, 2)[1] != 0:
            return None, "login refused"
        host, port = target
        sock.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(host) + port.to_bytes(2, "big"))
        reply = recv_exactly(sock, 10)
        if reply[1] != 0:
            return None, "refused: %s (REP %d)" % (REPLIES.get(reply[1], "?"), reply[1])
        sock.settimeout(None)
        return sock, "ok"
    except (OSError, ConnectionError) as e:
        return None, "failed: %s" % e
    finally:
        if sock.gettimeout() is not None:
            # Not handed out: close it (a returned tunnel has no timeout set).
            sock.close()


def open_tunnels(args, count, label):
    tunnels, outcomes = [], []
    for i in range(count):
        source = args.sources[i % len(args.sources)]
        sock, outcome = socks5(args.proxy, source, args.user, args.password, args.target)
        print("  %s %d from %s: %s" % (label, i + 1, source, outcome))
        outcomes.append(outcome)
        if sock:
            tunnels.append(sock)
    return tunnels, outcomes


def sessions_per_instance(urls, user):
    counts = []
    for url in urls:
        try:
            with urllib.request.urlopen(url + "/sessions", timeout=5) as response:
                listed = json.load(response)["sessions"]
            counts.append(sum(1 for s in listed if s.get("user") == user))
        except OSError as e:
            counts.append("unreachable (%s)" % e)
    return counts


def cmd_limit(args):
    held, outcomes = open_tunnels(args, args.allowed, "tunnel")
    try:
        if len(held) != args.allowed:
            print("  only %d of %d allowed tunnels opened" % (len(held), args.allowed))
            return 1
        if args.metrics:
            print("  open sessions of %s per instance: %s" % (args.user, sessions_per_instance(args.metrics, args.user)))
        extra, outcomes = open_tunnels(args, args.extra, "extra attempt")
        for sock in extra:
            sock.close()
        refused = sum(1 for o in outcomes if o.startswith("refused"))
        print("  %d of %d attempts beyond the limit refused" % (refused, args.extra))
        return 0 if refused == args.extra else 1
    finally:
        for sock in held:
            sock.close()


def cmd_revoke(args):
    held, _ = open_tunnels(args, args.count, "tunnel")
    if len(held) != args.count:
        print("  only %d of %d tunnels opened" % (len(held), args.count))
        for sock in held:
            sock.close()
        return 1
    if args.metrics:
        print("  open sessions of %s per instance: %s" % (args.user, sessions_per_instance(args.metrics, args.user)))
    # A watcher records each close as it happens, also while the command is still running.
    closes, stop = [], threading.Event()
    watcher = threading.Thread(target=watch_closes, args=(held, closes, stop), daemon=True)
    watcher.start()
    started = time.monotonic()
    process = subprocess.Popen(args.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, changed = [], None
    for line in process.stdout:  # the command prints its line once the change is committed
        output.append(line.strip())
        if changed is None and line.strip():
            changed = time.monotonic()
    process.wait(timeout=60)
    returned = time.monotonic()
    changed = changed or returned
    print("  %s -> exit %d after %.2f s: %s" % (" ".join(args.command[:3]) + " ...", process.returncode,
                                                returned - started, " | ".join(output)))
    watcher.join(timeout=max(0.0, changed + args.wait - time.monotonic()))
    stop.set()
    watcher.join()
    for sock in held:
        sock.close()
    if len(closes) < args.count:
        print("  %d of %d tunnels still open %.1f s after the change" % (args.count - len(closes), args.count, args.wait))
        return 1
    elapsed = max(closes) - changed
    print("  all %d tunnels closed %.3f s after the command reported the change (%.3f s after it started)"
          % (args.count, elapsed, max(closes) - started))
    return 0 if elapsed <= args.within else 1


def watch_closes(held, closes, stop):
    """Appends the time each socket in held reads end-of-stream (or an error), until all did or stop is set."""
    open_ = {sock.fileno(): sock for sock in held}
    while open_ and not stop.is_set():
        readable, _, _ = select.select(list(open_.values()), [], [], 0.02)
        for sock in readable:
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:
                closes.append(time.monotonic())
                del open_[sock.fileno()]


def cmd_tunnels(args):
    ok = 0
    for i in range(args.count):
        source = args.sources[i % len(args.sources)]
        sock, outcome = socks5(args.proxy, source, args.user, args.password, args.target)
        if sock:
            try:
                sock.settimeout(5)
                sock.sendall(("GET %s HTTP/1.0\r\nHost: target\r\n\r\n" % args.path).encode())
                answer = read_all(sock)
                outcome = "ok: " + answer.split(b"\r\n", 1)[0].decode(errors="replace")
                ok += answer.startswith(b"HTTP/1.0 200") or answer.startswith(b"HTTP/1.1 200")
            except OSError as e:
                outcome = "failed: %s" % e
            finally:
                sock.close()
        print("  session %d from %s: %s" % (i + 1, source, outcome))
    print("  %d of %d sessions succeeded" % (ok, args.count))
    return 0 if ok == args.count else 1


def cmd_states(args):
    """HAProxy's server states ("backend/server UP") from its stats socket."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(2)
        sock.connect(args.socket)
        sock.sendall(b"show stat\n")
        text = read_all(sock).decode()
    for line in text.splitlines():
        f = line.split(",")
        if len(f) > 17 and f[1] not in ("FRONTEND", "BACKEND", "svname"):
            print("%s/%s %s" % (f[0], f[1], f[17]))
    return 0


def cmd_sessions(args):
    print(" ".join(str(c) for c in sessions_per_instance(args.metrics, args.user)))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["limit", "revoke", "tunnels", "sessions", "states"])
    parser.add_argument("--proxy", type=host_port, help="SOCKS5 HOST:PORT (HAProxy's frontend)")
    parser.add_argument("--target", type=host_port, help="target HOST:PORT (an IPv4 literal)")
    parser.add_argument("--sources", default="127.0.0.1", help="comma-separated source addresses, used in turn")
    parser.add_argument("--user", default="")
    parser.add_argument("--socket", help="states: HAProxy's stats socket")
    parser.add_argument("--allowed", type=int, default=3)
    parser.add_argument("--extra", type=int, default=6)
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--within", type=float, default=1.0, help="seconds allowed for revoke")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds to wait for closes")
    parser.add_argument("--path", default="/")
    parser.add_argument("--metrics", default="", help="comma-separated metrics base URLs, to show /sessions counts")
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:len(argv) - len(command) - (1 if command else 0)])
    args.command = command
    args.sources = args.sources.split(",")
    args.metrics = [u for u in args.metrics.split(",") if u]
    args.password = os.environ.get("FLEET_PASSWORD", "")
    return {"limit": cmd_limit, "revoke": cmd_revoke, "tunnels": cmd_tunnels, "sessions": cmd_sessions,
            "states": cmd_states}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
