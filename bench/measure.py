#!/usr/bin/env python3
"""Benchmark driver (stdlib only): our server against the official TypeScript and
Python SDK servers, measured side by side on this machine, interleaved in rounds.

Run through bench/run.sh, which installs the peers and builds the binaries.
Per server: cold start (process spawn to the first successful `initialize`), RSS
idle after one request, peak RSS under load, and for tools/list and tools/call
get_alerts at each connection count: requests/s, p50, p99, failed responses, and
server CPU time per request (user+sys of the server process / requests), the least
noisy figure on a shared machine. Medians across rounds, with min-max.
"""

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}
INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "bench", "version": "0"}}})
REQUESTS = {
    "tools/list": json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    "tools/call get_alerts": json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                         "params": {"name": "get_alerts", "arguments": {"state": "WA"}}}),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/mcp", body, HEADERS)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Server:
    def __init__(self, name, argv, env_for_port, cwd=ROOT):
        self.name, self.argv, self.env_for_port, self.cwd = name, argv, env_for_port, cwd

    def start(self, upstream, log):
        port = free_port()
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
               "NWS_API_BASE_URL": upstream, **self.env_for_port(port)}
        process = subprocess.Popen(self.argv, env=env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        return process, port


def stop(process):
    """Stops the server's whole process group by PID: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(process, port, deadline_s=60.0):
    """Polls `initialize` every ~1 ms; returns when it answers 200."""
    deadline = time.perf_counter() + deadline_s
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            status, _ = post(port, INITIALIZE, timeout=2.0)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.001)
    raise RuntimeError("server did not answer initialize in time")


def assert_loopback_only(process):
    """Refuses to measure a server that listens anywhere but 127.0.0.1."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if f"pid={process.pid}," in line:
            local = line.split()[3]
            if not local.startswith("127.0.0.1:"):
                raise RuntimeError(f"server listens on {local}, not loopback only")


def status_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def run_wrk(port, body, conns, secs):
    env = {**os.environ, "BENCH_BODY": body}
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--timeout", "10s",
         "-s", str(ROOT / "bench" / "wrk.lua"), f"http://127.0.0.1:{port}/mcp"],
        env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH "))
    return json.loads(line[len("BENCH "):])


def measure_cold(server, upstream, log):
    started = time.perf_counter()
    process, port = server.start(upstream, log)
    try:
        wait_ready(process, port)
        return (time.perf_counter() - started) * 1000.0
    finally:
        stop(process)


def measure_load(server, upstream, log, conns_list, secs):
    process, port = server.start(upstream, log)
    try:
        wait_ready(process, port)
        assert_loopback_only(process)
        for body in REQUESTS.values():  # one of each, so idle RSS includes first-use setup
            status, data = post(port, body)
            if status != 200 or b'"isError":true' in data or b'"error":{' in data:
                raise RuntimeError(f"{server.name}: a request failed before load: {data[:300]!r}")
        time.sleep(1.0)
        result = {"rss_idle_mib": status_kib(process.pid, "VmRSS") / 1024, "load": {}}
        for name, body in REQUESTS.items():
            run_wrk(port, body, 8, 1)  # warm-up
            for conns in conns_list:
                cpu_before = cpu_seconds(process.pid)
                stats = run_wrk(port, body, conns, secs)
                cpu = cpu_seconds(process.pid) - cpu_before
                seconds = stats["duration_us"] / 1e6
                result["load"][f"{name} c={conns}"] = {
                    "rps": stats["requests"] / seconds,
                    "p50_ms": stats["p50_us"] / 1000.0,
                    "p99_ms": stats["p99_us"] / 1000.0,
                    "errors": stats["failed_responses"] + stats["socket_errors"],
                    "cpu_us_per_req": cpu * 1e6 / max(stats["requests"], 1),
                }
        result["rss_peak_mib"] = status_kib(process.pid, "VmHWM") / 1024
        return result
    finally:
        stop(process)


def med(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", required=True, help="our release binary")
    parser.add_argument("--zip", help="the deployment zip, for its size")
    parser.add_argument("--stub", required=True, help="the NWS stand-in binary")
    parser.add_argument("--node", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    parser.add_argument("--cold", type=int, default=int(os.environ.get("COLD", 10)))
    parser.add_argument("--secs", type=int, default=int(os.environ.get("SECS", 10)))
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = parser.parse_args()

    servers = [
        Server("rust-mcp-functions", [args.handler],
               lambda port: {"FUNCTIONS_CUSTOMHANDLER_PORT": str(port)}),
        Server("node-ts-sdk", [args.node, str(ROOT / "bench/peers/node/server.mjs")],
               lambda port: {"PORT": str(port)}),
        Server("python-fastmcp", [args.python, str(ROOT / "bench/peers/python/server.py")],
               lambda port: {"PORT": str(port)}),
    ]
    log_path = ROOT / "bench" / "results" / "servers.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stub_log = open(log_path, "w")
    stub = subprocess.Popen([args.stub, str(ROOT / "tests/fixtures")], stdout=subprocess.PIPE,
                            stderr=stub_log, text=True, start_new_session=True)
    try:
        upstream = stub.stdout.readline().strip().removeprefix("listening on ")
        cold = {s.name: [] for s in servers}
        loads = {s.name: [] for s in servers}
        load_before = os.getloadavg()
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr)
            for _ in range(args.cold):
                for server in servers:
                    cold[server.name].append(measure_cold(server, upstream, stub_log))
            for server in servers:
                loads[server.name].append(
                    measure_load(server, upstream, stub_log, [8, 64], args.secs))
    finally:
        stop(stub)
        stub_log.close()

    results = {
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model(), "kernel": platform.release(),
                    "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "method": {"rounds": args.rounds, "cold_runs_per_round": args.cold, "load_secs": args.secs,
                   "wrk": "wrk -t1 (one client thread), Lua POST body, counts non-success bodies"},
        "sizes": {"handler_bytes": Path(args.handler).stat().st_size,
                  "zip_bytes": Path(args.zip).stat().st_size if args.zip else None},
        "servers": {},
    }
    for server in servers:
        runs = loads[server.name]
        entry = {"cold_start_ms": med(cold[server.name]),
                 "rss_idle_mib": med([r["rss_idle_mib"] for r in runs]),
                 "rss_peak_mib": med([r["rss_peak_mib"] for r in runs]), "load": {}}
        for key in runs[0]["load"]:
            entry["load"][key] = {metric: med([r["load"][key][metric] for r in runs])
                                  for metric in runs[0]["load"][key]}
        results["servers"][server.name] = entry
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print_tables(results)
    print(f"\nwritten: {args.out}")


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def print_tables(results):
    m = results["machine"]
    print(f"\nMachine: {m['cpus']} CPUs ({m['cpu_model']}), load average before "
          f"{m['loadavg_before'][0]:.2f}, after {m['loadavg_after'][0]:.2f}")
    sizes = results["sizes"]
    print(f"handler binary: {sizes['handler_bytes'] / 2**20:.1f} MiB"
          + (f", deployment zip: {sizes['zip_bytes'] / 2**20:.1f} MiB" if sizes["zip_bytes"] else ""))
    print("\n| server | cold start ms (min-max) | RSS idle MiB | RSS peak MiB |")
    print("|---|---|---|---|")
    for name, s in results["servers"].items():
        c = s["cold_start_ms"]
        print(f"| {name} | {c['median']:.1f} ({c['min']:.1f}-{c['max']:.1f}) "
              f"| {s['rss_idle_mib']['median']:.1f} | {s['rss_peak_mib']['median']:.1f} |")
    print("\n| server | request | req/s | p50 ms | p99 ms | errors | CPU µs/req (min-max) |")
    print("|---|---|---|---|---|---|---|")
    for name, s in results["servers"].items():
        for key, l in s["load"].items():
            cpu = l["cpu_us_per_req"]
            print(f"| {name} | {key} | {l['rps']['median']:.0f} | {l['p50_ms']['median']:.2f} "
                  f"| {l['p99_ms']['median']:.2f} | {l['errors']['max']:.0f} "
                  f"| {cpu['median']:.0f} ({cpu['min']:.0f}-{cpu['max']:.0f}) |")


if __name__ == "__main__":
    main()
