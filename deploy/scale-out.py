#!/usr/bin/env python3
"""The client side of deploy/scale-out.sh, standard library only.

    scale-out.py cross-check --auth URL... --api URL...
        Gets a token from each auth-server directly and calls GET /api/user
        on each api-server directly with it: every pair must answer 200
        with the user's name. Shows that a token issued by any auth-server
        is accepted by every api-server. Then revokes each token at the
        next auth-server along, and every api-server must refuse it within
        REVOCATION_DEADLINE, though its cached answer had a minute to live:
        revocation reaches every replica through the revocation stream.

    scale-out.py load --gateway URL [--workers N] [--duration S]
                      [--max-requests N] [--kill-at S] [--kill NAME=PID...]
                      [--expect-upstream NAME=HOST:PORT...]
        Drives a bounded mixed load through the gateway (password grants,
        refreshes, GET /api/user, /api/version, POST and GET /api/entries)
        from N threads, SIGKILLs the given processes at --kill-at seconds,
        and reports requests, errors and which instance served what.

Both read the client and user from SCALE_OUT_CLIENT_ID,
SCALE_OUT_CLIENT_SECRET, SCALE_OUT_USERNAME and SCALE_OUT_PASSWORD (the
environment, so no secret shows in a process list). Exit status 1 when a
check fails.

An error is a status other than the expected one (200) or no answer. The
kill may rightly cost a request only when it had reached a killed instance:
either the request was in flight when the kill happened, or the gateway had
sent it on a kept-alive connection to a killed instance that it had not yet
seen closed (its X-Upstream-Addr names that instance). The gateway passes
anything else to a live instance: an idempotent request after any failure,
a POST when the instance refused the connection; it does not replay a POST
that may have been processed, since a replayed refresh would present a
rotated token again and revoke the whole login. So `load` fails on any other
error, and on more errors than one per worker for each killed instance
(each worker has one request, and so at most one gateway connection, at a
time).
"""

import argparse
import collections
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.parse

HTTP_TIMEOUT = 10  # seconds: bounds every request, so the run always ends
# Seconds a revoked token may still be accepted; api-server caches an
# answer for up to TOKEN_CACHE_TTL (60 s) without the revocation stream.
REVOCATION_DEADLINE = 5

# Relative weights of the operations once a worker holds a token; a worker
# without one logs in first. Logins are rare because Argon2 makes them the
# slowest request by far, as for real clients.
MIX = {
    "refresh": 8,
    "get_user": 25,
    "get_version": 12,
    "post_entry": 20,
    "list_entries": 25,
    "password": 2,
}


def credentials():
    try:
        return {
            "client_id": os.environ["SCALE_OUT_CLIENT_ID"],
            "client_secret": os.environ["SCALE_OUT_CLIENT_SECRET"],
            "username": os.environ["SCALE_OUT_USERNAME"],
            "password": os.environ["SCALE_OUT_PASSWORD"],
        }
    except KeyError as missing:
        sys.exit(f"scale-out.py: {missing.args[0]} is not set")


class Connection:
    """One keep-alive connection to a base URL, remade after any failure."""

    def __init__(self, base_url):
        url = urllib.parse.urlsplit(base_url)
        if url.scheme != "http":
            raise SystemExit(f"scale-out.py: {base_url}: only http URLs")
        self.host, self.port = url.hostname, url.port or 80
        self.conn = None

    def request(self, method, path, form=None, token=None):
        """Returns (status, headers, body bytes); raises OSError or
        http.client.HTTPException when no answer came."""
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except Exception:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, response.headers, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def password_grant(conn, creds):
    return conn.request(
        "POST",
        "/oauth/v2/token",
        form={"grant_type": "password", **creds},
    )


def token_pair(status, body):
    if status != 200:
        return None
    try:
        answer = json.loads(body)
        return answer["access_token"], answer["refresh_token"]
    except (ValueError, KeyError):
        return None


# ---------------------------------------------------------------- cross-check


def refused_after(api, token, deadline):
    """Seconds until the api-server at `api` refuses `token` (401), polling;
    None when it still accepts it after `deadline` seconds."""
    conn = Connection(api)
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        status, _, _ = conn.request("GET", "/api/user", token=token)
        if status == 401:
            return time.monotonic() - started
        time.sleep(0.01)
    return None


def cross_check(args):
    creds = credentials()
    failures = 0
    issued = []
    for auth in args.auth:
        status, _, body = Connection(auth).request(
            "POST", "/oauth/v2/token", form={"grant_type": "password", **creds}
        )
        pair = token_pair(status, body)
        if pair is None:
            print(f"  token from {auth}: FAILED, status {status}")
            failures += 1
            continue
        issued.append((auth, pair[0]))
        for api in args.api:
            status, _, body = Connection(api).request("GET", "/api/user", token=pair[0])
            try:
                name = json.loads(body).get("username") if status == 200 else None
            except ValueError:
                name = None
            ok = status == 200 and name == creds["username"]
            failures += not ok
            print(f"  token from {auth} at {api}: {status} {'ok' if ok else 'FAILED'}")

    # Every api-server has each token's answer cached now.
    for index, (auth, token) in enumerate(issued):
        revoker = args.auth[(index + 1) % len(args.auth)]
        form = {"token": token, "client_id": creds["client_id"],
                "client_secret": creds["client_secret"]}
        status, _, _ = Connection(revoker).request("POST", "/oauth/v2/revoke", form=form)
        if status != 200:
            print(f"  revoking at {revoker}: FAILED, status {status}")
            failures += 1
            continue
        for api in args.api:
            after = refused_after(api, token, REVOCATION_DEADLINE)
            failures += after is None
            verdict = "FAILED: still accepted" if after is None else f"{after * 1000:.0f} ms"
            print(f"  token from {auth} revoked at {revoker}, refused at {api}: {verdict}")
    print(f"cross-acceptance and revocation: {'ok' if failures == 0 else f'{failures} failure(s)'}")
    return 1 if failures else 0


# ----------------------------------------------------------------------- load


class Record:
    __slots__ = ("op", "start", "end", "status", "cause", "upstream")

    def __init__(self, op, start, end, status, cause, upstream):
        self.op, self.start, self.end = op, start, end
        self.status, self.cause, self.upstream = status, cause, upstream

    @property
    def ok(self):
        return self.cause is None


class Budget:
    """The shared request count: no worker starts a request past it."""

    def __init__(self, limit, deadline):
        self.limit, self.deadline = limit, deadline
        self.used = 0
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            if self.used >= self.limit or time.monotonic() >= self.deadline:
                return False
            self.used += 1
            return True


def worker(index, gateway, creds, budget, post_entries, records):
    rng = random.Random(index)  # the same mix of operations on every run
    conn = Connection(gateway)
    access = refresh = None
    entry = 0
    ops, weights = zip(*MIX.items())

    while budget.take():
        op = "password" if access is None else rng.choices(ops, weights)[0]
        if op == "post_entry" and not post_entries:
            op = "get_user"
        if op == "password":
            form = {"grant_type": "password", **creds}
            method, path, token = "POST", "/oauth/v2/token", None
        elif op == "refresh":
            form = {
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
            }
            method, path, token = "POST", "/oauth/v2/token", None
        elif op == "get_user":
            method, path, form, token = "GET", "/api/user.json", None, access
        elif op == "get_version":
            method, path, form, token = "GET", "/api/version.json", None, None
        elif op == "post_entry":
            entry += 1
            # Content given, so api-server fetches nothing; the host is
            # reserved and never resolved.
            form = {
                "url": f"https://scale-out.example/w{index}/e{entry}-{time.time_ns()}",
                "title": f"Scale-out {index}.{entry}",
                "content": f"<p>Entry {entry} of worker {index}.</p>",
            }
            method, path, token = "POST", "/api/entries.json", access
        else:
            method, path, form, token = "GET", "/api/entries.json?perPage=5", None, access

        start = time.monotonic()
        status = cause = upstream = None
        try:
            status, headers, body = conn.request(method, path, form=form, token=token)
            upstream = headers.get("X-Upstream-Addr")
            if status != 200:
                cause = f"HTTP {status}"
            elif op in ("password", "refresh"):
                pair = token_pair(status, body)
                if pair is None:
                    cause = "no token in the answer"
                else:
                    access, refresh = pair
        except (OSError, http.client.HTTPException) as err:
            cause = type(err).__name__
        records.append(Record(op, start, time.monotonic(), status, cause, upstream))

        # A failed grant may have rotated the refresh token on the server
        # without our hearing of it; presenting the old one again would be
        # reuse, which revokes the whole login. So start over with a login.
        if cause is not None and (op in ("password", "refresh") or status == 401):
            access = refresh = None
    conn.close()


def probe_post_entries(gateway, creds):
    """True when POST /api/entries exists; False when the route answers 404."""
    conn = Connection(gateway)
    status, _, body = password_grant(conn, creds)
    pair = token_pair(status, body)
    if pair is None:
        raise SystemExit(f"scale-out.py: password grant through the gateway answered {status}")
    status, _, _ = conn.request(
        "POST",
        "/api/entries.json",
        form={
            "url": "https://scale-out.example/probe",
            "title": "probe",
            "content": "<p>probe</p>",
        },
        token=pair[0],
    )
    conn.close()
    if status == 404:
        return False
    if status != 200:
        raise SystemExit(f"scale-out.py: probing POST /api/entries answered {status}")
    return True


def kill_later(delay, targets, killed):
    time.sleep(delay)
    moment = time.monotonic()
    for name, pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
            print(f"  t={moment - START:.1f}s SIGKILL {name} (pid {pid})", flush=True)
        except ProcessLookupError:
            print(f"  {name} (pid {pid}) was already gone", flush=True)
    killed.append(moment)


def name_upstreams(expected):
    """HOST:PORT -> instance name, from NAME=HOST:PORT arguments."""
    return {addr: name for name, addr in (item.split("=", 1) for item in expected)}


def load(args):
    global START
    creds = credentials()
    post_entries = probe_post_entries(args.gateway, creds)
    if not post_entries:
        print("  POST /api/entries answered 404 (route missing): GET /api/user instead")

    START = time.monotonic()
    budget = Budget(args.max_requests, START + args.duration)
    per_worker = [[] for _ in range(args.workers)]
    threads = [
        threading.Thread(
            target=worker,
            args=(i, args.gateway, creds, budget, post_entries, per_worker[i]),
            daemon=True,
        )
        for i in range(args.workers)
    ]
    killed = []
    targets = [(name, int(pid)) for name, pid in (item.split("=", 1) for item in args.kill)]
    killer = threading.Thread(target=kill_later, args=(args.kill_at, targets, killed), daemon=True)
    if targets:
        killer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        # Past the deadline each worker finishes at most one request, and
        # each request is bounded by HTTP_TIMEOUT.
        thread.join(args.duration + HTTP_TIMEOUT + 5)
    elapsed = time.monotonic() - START
    if any(thread.is_alive() for thread in threads):
        print("  a worker did not finish in time")
        return 1

    records = [record for rs in per_worker for record in rs]
    kill_time = killed[0] if killed else None
    return report(args, records, kill_time, elapsed, post_entries)


def report(args, records, kill_time, elapsed, post_entries):
    names = name_upstreams(args.expect_upstream)
    killed_names = {item.split("=", 1)[0] for item in args.kill}

    def instances(record):
        """Names of the instances the gateway tried for this request."""
        addrs = (addr.strip() for addr in (record.upstream or "").split(","))
        return [names.get(addr, addr) for addr in addrs if addr]

    def caused_by_kill(record):
        in_flight = kill_time is not None and record.start <= kill_time <= record.end
        return in_flight or bool(killed_names & set(instances(record)))

    errors = [r for r in records if not r.ok]
    expected = [r for r in errors if caused_by_kill(r)]
    other = [r for r in errors if not caused_by_kill(r)]
    allowance = args.workers * len(killed_names)

    print(f"\nrequests: {len(records)} in {elapsed:.1f} s ({len(records) / elapsed:.0f}/s), "
          f"{args.workers} workers")
    by_op = collections.Counter(r.op for r in records)
    print("  by operation: " + ", ".join(f"{op} {n}" for op, n in sorted(by_op.items())))
    if not post_entries:
        print("  (POST /api/entries was missing: replaced by GET /api/user)")

    def served(selected):
        """Successful answers by the instance that gave them."""
        return collections.Counter(name for r in selected if r.ok for name in instances(r)[-1:])

    before = [r for r in records if kill_time is None or r.end < kill_time]
    after = [r for r in records if kill_time is not None and r.start > kill_time]
    print("  answered before the kill, by: " + fmt_counts(served(before)))
    if kill_time is not None:
        print("  answered after the kill, by:  " + fmt_counts(served(after)))
    passed_on = [r for r in records if len(instances(r)) > 1]
    print(f"  passed on to another instance by the gateway: {len(passed_on)}")

    print(f"errors: {len(errors)} ({len(expected)} on killed instances, allowed {allowance}; "
          f"{len(other)} other)")
    breakdown = collections.Counter((r.op, r.cause) for r in errors)
    for (op, cause), n in sorted(breakdown.items()):
        print(f"  {op}: {cause} x{n}")
    for r in errors[:20]:
        when = ""
        if kill_time is not None:
            when = f"{r.start - kill_time:+.3f}s..{r.end - kill_time:+.3f}s from the kill, "
        via = " then ".join(instances(r)) or "no instance named"
        print(f"    {r.op} {r.cause}: {when}via {via}")

    failed = []
    if other:
        failed.append(f"{len(other)} error(s) not caused by the kill")
    if len(expected) > allowance:
        failed.append(f"{len(expected)} errors on killed instances, more than {allowance}")
    missing = [name for name in names.values() if served(before)[name] == 0]
    if missing:
        failed.append("never served anything: " + ", ".join(sorted(missing)))
    if not records:
        failed.append("no request was sent")
    print("load: " + ("ok" if not failed else "FAILED: " + "; ".join(failed)))
    return 1 if failed else 0


def fmt_counts(counts):
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "nothing"


START = time.monotonic()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("cross-check")
    check.add_argument("--auth", action="append", required=True)
    check.add_argument("--api", action="append", required=True)

    run = commands.add_parser("load")
    run.add_argument("--gateway", required=True)
    run.add_argument("--workers", type=int, default=4)
    run.add_argument("--duration", type=float, default=20)
    run.add_argument("--max-requests", type=int, default=50_000)
    run.add_argument("--kill-at", type=float, default=8)
    run.add_argument("--kill", action="append", default=[], metavar="NAME=PID")
    run.add_argument("--expect-upstream", action="append", default=[], metavar="NAME=HOST:PORT")

    args = parser.parse_args()
    return cross_check(args) if args.command == "cross-check" else load(args)


if __name__ == "__main__":
    sys.exit(main())
