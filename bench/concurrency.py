#!/usr/bin/env python3
"""What one instance holds (stdlib only): N tool calls in flight at once against the
deployed binary, for N up to a few thousand. Run through bench/concurrency.sh, which
builds the binaries and installs Azurite.

For each workload and each N, a fresh server and a fresh upstream stand-in are started.
N client connections are opened (keep-alive, as the Functions host's forwarder keeps
them), then every connection sends one call after another for --secs seconds: a closed
loop that keeps N calls in flight the whole time. Workloads:

  alerts        tools/call get_alerts against the NWS stand-in (examples/nws_stub.rs)
                answering after --delay-ms (1-2 s by default, like a distant API);
  snippets-get  tools/call get_snippet against Azurite (in memory), which answers as
                fast as it can: Azurite itself is then what the calls wait for;
  snippets-save tools/call save_snippet, one snippet name per connection, same Azurite;
  connections   one tools/list on each connection, which then stays open and idle: what
                a kept-alive connection costs without a call on it;
  big-calls     tools/call save_snippet with a 3.9 MB snippet (over the 1 MiB snippet
                limit, so every call is answered with an isError result, which counts as
                answered here): what large bodies in flight cost in memory, against the
                request-body budget (MCP_BODY_BUDGET_BYTES); snippets in a local directory;
  snippets-save-1mb  tools/call save_snippet of 1,000,000 bytes, one name per connection,
                against Azurite, with the collection's byte cap raised: every call must
                succeed.

bench/memory.sh runs the last two at 250 in flight (the default HTTP_CONCURRENCY).

Recorded per N: the server's peak RSS (VmHWM) and its idle RSS before the load, the
most file descriptors and threads it had open (sampled every 100 ms), its CPU time per
call, calls completed and failed (non-200, JSON-RPC error, isError, or a broken
connection, by kind), latency p50/p99/max, and for alerts what the stand-in saw:
upstream requests, the most in flight at once, and the connections the server opened
to it. Results go to bench/results/concurrency.json (or --out).
"""

import argparse
import asyncio
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from measure import status_kib  # bench/measure.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
PROTOCOL = "2025-06-18"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")  # Azurite's public, documented development key
SNIPPET = "fn main() {\n    println!(\"hello\");\n}\n" * 8  # about 300 bytes
BIG_BODY_BYTES = 3_900_000
MEGABYTE = 1_000_000


def call(name, arguments):
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


WORKLOADS = {
    "alerts": lambda i: call("get_alerts", {"state": "WA"}),
    "snippets-get": lambda i: call("get_snippet", {"snippetname": "bench"}),
    "snippets-save": lambda i: call("save_snippet", {"snippetname": f"bench-{i}",
                                                     "snippet": SNIPPET}),
    "connections": lambda i: {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    "big-calls": lambda i: BIG_CALL,
    "snippets-save-1mb": lambda i: call("save_snippet", {"snippetname": f"bench-{i}",
                                                         "snippet": "x" * MEGABYTE}),
}
# One body for every connection (3.9 MB each: built once, not 250 times).
BIG_CALL = call("save_snippet", {"snippetname": "big",
                                 "snippet": "x" * (BIG_BODY_BYTES - 120)})
# Workloads whose calls are answered with an isError result on purpose: an HTTP 200 with
# a JSON-RPC result is what counts as answered.
ERROR_RESULTS = {"big-calls"}
# Workloads that need Azurite.
AZURITE = {"snippets-get", "snippets-save", "snippets-save-1mb"}
# Workloads that send one request per connection and then keep the connection open and
# idle: what an open connection costs, without a call in flight on it.
HOLD = {"connections"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process):
    """Stops a process group we started, by its PID: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def cpu_seconds(pid):
    """(user, system) CPU seconds of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def request_bytes(port, payload):
    body = json.dumps(payload).encode()
    head = (f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\n"
            f"MCP-Protocol-Version: {PROTOCOL}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


async def read_response(reader):
    """Reads one HTTP/1.1 response (Content-Length or chunked); returns (status, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    raise ValueError(f"response without a length: {headers}")


def failed(status, body, error_results=False):
    if status != 200:
        return f"http {status}"
    if b'"isError":true' in body and not error_results:
        return "isError"
    if b'"error":{' in body:
        return "json-rpc error"
    return None


async def load(port, pid, make_payload, conns, secs, timeout, hold=False,
               error_results=False):
    """Opens `conns` connections, then keeps one call in flight on each for `secs` (or,
    with `hold`, sends one request on each and keeps it open and idle for `secs`).
    With `error_results`, an isError result counts as answered."""
    encoded = {}  # id(payload) -> request bytes, for payloads every worker shares
    latencies, errors, samples = [], {}, {}
    peaks = {"rss_kib": 0, "fds": 0, "threads": 0}
    connect_gate = asyncio.Semaphore(256)  # no SYN flood: the kernel's backlog is finite
    go = asyncio.Event()
    deadline = [0.0]
    connected = [0]  # connections opened or refused so far

    def error(kind, body=b""):
        errors[kind] = errors.get(kind, 0) + 1
        samples.setdefault(kind, body[:400].decode("utf-8", "replace"))

    async def worker(i):
        payload = make_payload(i)
        request = encoded.get(id(payload))
        if request is None:
            request = request_bytes(port, payload)
            if payload is make_payload(i + 1):
                encoded[id(payload)] = request
        try:
            async with connect_gate:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, limit=1 << 20), timeout)
        except (OSError, asyncio.TimeoutError) as e:
            error(f"connect: {type(e).__name__}")
            connected[0] += 1
            return
        connected[0] += 1
        await go.wait()
        try:
            while time.monotonic() < deadline[0]:
                started = time.monotonic()
                try:
                    writer.write(request)
                    status, body = await asyncio.wait_for(read_response(reader), timeout)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                        ValueError) as e:
                    error(f"connection: {type(e).__name__}")
                    return
                kind = failed(status, body, error_results)
                if kind:
                    error(kind, body)
                else:
                    latencies.append(time.monotonic() - started)
                if hold:
                    await asyncio.sleep(max(0.0, deadline[0] - time.monotonic()))
        finally:
            writer.close()

    async def sampler():
        while True:
            try:
                peaks["rss_kib"] = max(peaks["rss_kib"], status_kib(pid, "VmRSS"))
                peaks["threads"] = max(peaks["threads"], status_kib(pid, "Threads"))
                peaks["fds"] = max(peaks["fds"], fd_count(pid))
            except (OSError, KeyError):
                pass
            await asyncio.sleep(0.1)

    sampling = asyncio.create_task(sampler())
    workers = [asyncio.create_task(worker(i)) for i in range(conns)]
    connect_started = time.monotonic()
    while connected[0] < conns:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the server accepts the last ones
    connect_s = time.monotonic() - connect_started
    cpu_before = cpu_seconds(pid)
    client_cpu_before = time.process_time()
    started = time.monotonic()
    deadline[0] = started + secs
    go.set()
    await asyncio.gather(*workers)
    elapsed = time.monotonic() - started
    sampling.cancel()
    return {
        "connect_s": connect_s,
        "elapsed_s": elapsed,
        "calls": len(latencies),
        "errors": errors,
        "error_samples": samples,
        "latencies": latencies,
        "server_cpu_s": [a - b for a, b in zip(cpu_seconds(pid), cpu_before)],
        "client_cpu_s": time.process_time() - client_cpu_before,
        "peaks": peaks,
    }


def post(port, payload, timeout=30.0):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "Accept": "application/json, text/event-stream",
                 "MCP-Protocol-Version": PROTOCOL})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def wait_ready(process, port, deadline_s=30.0):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {},
        "clientInfo": {"name": "bench", "version": "0"}}}
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if post(port, initialize, timeout=2.0)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError("server did not answer initialize in time")


def start_stub(stub, delay_ms, log):
    process = subprocess.Popen([stub, str(ROOT / "tests/fixtures"), "--delay-ms", delay_ms],
                               stdout=subprocess.PIPE, stderr=log, text=True,
                               start_new_session=True)
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        stop(process)
        raise RuntimeError(f"the NWS stand-in did not start: {line!r}")
    return process, line.removeprefix("listening on ")


def stub_stats(base):
    with urllib.request.urlopen(f"{base}/_stats", timeout=10) as response:
        return json.loads(response.read())


def start_azurite(node, script, log):
    process = subprocess.Popen(
        [node, script, "--silent", "--disableTelemetry", "--inMemoryPersistence",
         "--blobHost", "127.0.0.1", "--blobPort", "0"],
        stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if "listens on http://127.0.0.1:" in line:
            return process, int(line.rsplit(":", 1)[1].strip())
    stop(process)
    raise RuntimeError("Azurite did not start")


def measure(args, workload, conns, log, azurite_port):
    stub, stub_base = None, None
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    if workload == "alerts":
        stub, stub_base = start_stub(args.stub, args.delay_ms, log)
        env["NWS_API_BASE_URL"] = stub_base
    elif workload == "big-calls":
        env["SNIPPETS_DIR"] = args.snippets_dir
    if workload in AZURITE:
        env["AzureWebJobsStorage"] = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{azurite_port}/devstoreaccount1/;")
        # 250 names of 1 MB each: over the default 100 MiB collection cap.
        env["SNIPPETS_MAX_TOTAL_BYTES"] = str(1 << 30)
    for name in ("MCP_BODY_BUDGET_BYTES", "MCP_BODY_BUDGET_WAIT_SECONDS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    port = free_port()
    env["FUNCTIONS_CUSTOMHANDLER_PORT"] = str(port)
    limit = None
    if args.server_nofile:  # the server's own open-files limit, e.g. Linux's default 1024
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE,  # noqa: E731
                                           (args.server_nofile, hard))
    server = subprocess.Popen([args.handler], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                              preexec_fn=limit)
    try:
        wait_ready(server, port)
        # First use: the upstream client, the container, the snippet get_snippet reads.
        for payload in ([call("save_snippet", {"snippetname": "bench", "snippet": SNIPPET})]
                        if workload in AZURITE else []) + [WORKLOADS[workload](0)]:
            status, body = post(port, payload)
            if failed(status, body, workload in ERROR_RESULTS):
                raise RuntimeError(f"{workload}: the first call failed: {body[:300]!r}")
        time.sleep(0.5)
        idle_kib = status_kib(server.pid, "VmRSS")
        before = stub_stats(stub_base) if stub else None
        result = asyncio.run(load(port, server.pid, WORKLOADS[workload], conns,
                                  args.secs, args.timeout, hold=workload in HOLD,
                                  error_results=workload in ERROR_RESULTS))
        hwm_kib = status_kib(server.pid, "VmHWM")
        after = stub_stats(stub_base) if stub else None
        lat = result.pop("latencies")
        calls = result["calls"]
        entry = {
            "in_flight": conns,
            "calls": calls,
            "calls_per_s": calls / result["elapsed_s"],
            "errors": sum(result["errors"].values()),
            "error_kinds": result["errors"],
            "error_samples": result["error_samples"],
            "latency_ms": {"p50": ms(percentile(lat, 50)), "p99": ms(percentile(lat, 99)),
                           "max": ms(max(lat) if lat else None),
                           "mean": ms(statistics.fmean(lat) if lat else None)},
            "rss_idle_mib": idle_kib / 1024,
            "rss_peak_mib": hwm_kib / 1024,
            "rss_per_in_flight_kib": (hwm_kib - idle_kib) / conns,
            "fds_peak": result["peaks"]["fds"],
            "threads_peak": result["peaks"]["threads"],
            "server_cpu_us_per_call": sum(result["server_cpu_s"]) * 1e6 / max(calls, 1),
            "server_cpu_user_us_per_call": result["server_cpu_s"][0] * 1e6 / max(calls, 1),
            "server_cpu_system_us_per_call": result["server_cpu_s"][1] * 1e6 / max(calls, 1),
            "server_cpu_share": sum(result["server_cpu_s"]) / result["elapsed_s"],
            "client_cpu_share": result["client_cpu_s"] / result["elapsed_s"],
            "connect_s": result["connect_s"],
        }
        if stub:
            entry["upstream"] = {
                "requests": after["requests"] - before["requests"],
                "max_in_flight": after["max_in_flight"],
                "connections": after["connections"],
            }
            lo, _, hi = args.delay_ms.partition("-")
            mean_delay = (int(lo) + int(hi or lo)) / 2
            if lat:
                entry["latency_ms"]["mean_over_upstream_delay"] = (
                    statistics.fmean(lat) * 1000 - mean_delay)
        return entry
    finally:
        stop(server)
        if stub:
            stop(stub)


def ms(seconds):
    return None if seconds is None else seconds * 1000.0


def raise_fd_limit(levels):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 3 * max(levels) + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want, hard


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", required=True, help="the deployed (musl) binary")
    parser.add_argument("--stub", help="the NWS stand-in binary (for alerts)")
    parser.add_argument("--node", help="Node.js, for Azurite")
    parser.add_argument("--azurite", help="Azurite's azurite-blob script")
    parser.add_argument("--levels", default=os.environ.get("LEVELS", "100,500,1000,2000,4000"))
    parser.add_argument("--workloads",
                        default=os.environ.get(
                            "WORKLOADS", "alerts,connections,snippets-get,snippets-save"))
    parser.add_argument("--secs", type=float, default=float(os.environ.get("SECS", 15)))
    parser.add_argument("--delay-ms", default=os.environ.get("DELAY_MS", "1000-2000"))
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a connect or a call may take before it counts as failed")
    parser.add_argument("--server-nofile", type=int,
                        default=int(os.environ.get("SERVER_NOFILE", 0)) or None,
                        help="the server's soft open-files limit (default: this process's)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/concurrency.json"))
    args = parser.parse_args()
    args.snippets_dir = tempfile.mkdtemp(prefix="bench-snippets-")
    levels = [int(n) for n in args.levels.split(",") if n.strip()]
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload {w!r}; known: {', '.join(WORKLOADS)}")
    if "alerts" in workloads and not args.stub:
        parser.error("the alerts workload needs --stub")
    if any(w in AZURITE for w in workloads) and not (args.node and args.azurite):
        parser.error("the snippet workloads need --node and --azurite")
    nofile = raise_fd_limit(levels)

    log_path = ROOT / "bench/results/concurrency-servers.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    results = {
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model(),
                    "kernel": platform.release(), "loadavg_before": os.getloadavg(),
                    "nofile_limit": {"soft": nofile[0], "hard": nofile[1]},
                    "somaxconn": read_int("/proc/sys/net/core/somaxconn"),
                    "ephemeral_ports": Path("/proc/sys/net/ipv4/ip_local_port_range")
                    .read_text().split()},
        "method": {"secs_per_level": args.secs, "upstream_delay_ms": args.delay_ms,
                   "body_budget": {name: os.environ.get(name) or "default" for name in
                                   ("MCP_BODY_BUDGET_BYTES", "MCP_BODY_BUDGET_WAIT_SECONDS")},
                   "server_nofile": args.server_nofile or nofile[0],
                   "client": "Python asyncio, one keep-alive connection per call in flight, "
                             "closed loop; connections opened before the load starts",
                   "protocol": PROTOCOL},
        "sizes": {"handler_bytes": Path(args.handler).stat().st_size},
        "workloads": {},
    }
    with open(log_path, "w") as log:
        azurite = None
        try:
            azurite_port = None
            if any(w in AZURITE for w in workloads):
                azurite, azurite_port = start_azurite(args.node, args.azurite, log)
            for workload in workloads:
                rows = []
                for conns in levels:
                    print(f"{workload}: {conns} in flight", file=sys.stderr, flush=True)
                    rows.append(measure(args, workload, conns, log, azurite_port))
                    print(f"  {row_text(rows[-1])}", file=sys.stderr, flush=True)
                results["workloads"][workload] = rows
        finally:
            if azurite:
                stop(azurite)
    shutil.rmtree(args.snippets_dir, ignore_errors=True)
    results["machine"]["loadavg_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print_tables(results)
    print(f"\nwritten: {args.out}")


def read_int(path):
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def fmt(value, digits=0):
    return "-" if value is None else f"{value:.{digits}f}"


def row_text(r):
    lat = r["latency_ms"]
    return (f"calls {r['calls']} ({r['calls_per_s']:.0f}/s), errors {r['errors']}, "
            f"p50 {fmt(lat['p50'])} ms, p99 {fmt(lat['p99'])} ms, "
            f"RSS {r['rss_idle_mib']:.1f} -> {r['rss_peak_mib']:.1f} MiB, fds {r['fds_peak']}")


def print_tables(results):
    m = results["machine"]
    print(f"\nMachine: {m['cpus']} CPUs ({m['cpu_model']}), load average before "
          f"{m['loadavg_before'][0]:.2f}, after {m['loadavg_after'][0]:.2f}; "
          f"open files limit {m['nofile_limit']['soft']}")
    for workload, rows in results["workloads"].items():
        print(f"\n{workload}\n")
        print("| in flight | calls/s | errors | p50 ms | p99 ms | max ms | RSS idle MiB "
              "| RSS peak MiB | KiB per call in flight | fds | threads | CPU µs/call "
              "| upstream conns |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            lat = r["latency_ms"]
            up = r.get("upstream", {}).get("connections", "-")
            print(f"| {r['in_flight']} | {r['calls_per_s']:.0f} | {r['errors']} "
                  f"| {fmt(lat['p50'])} | {fmt(lat['p99'])} | {fmt(lat['max'])} "
                  f"| {r['rss_idle_mib']:.1f} | {r['rss_peak_mib']:.1f} "
                  f"| {r['rss_per_in_flight_kib']:.1f} | {r['fds_peak']} | {r['threads_peak']} "
                  f"| {r['server_cpu_us_per_call']:.0f} | {up} |")


if __name__ == "__main__":
    main()
