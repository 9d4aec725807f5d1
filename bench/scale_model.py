#!/usr/bin/env python3
"""A scale model for Flex Consumption (stdlib only): for an arrival rate of tool calls
and the upstream latency each call waits for, how many instances a deployment needs,
how many cold starts a burst causes, and how many GB-seconds it is billed.

    python3 bench/scale_model.py                         1,000 calls/s, 800 ms upstream
    python3 bench/scale_model.py --rate 200 --latency-ms 300 --burst-s 600

It compares three deployments:
  - this server at the chosen HTTP_CONCURRENCY on 512 MB instances (infra/ default),
  - this server with Flex's default concurrency for 512 MB (4), i.e. HTTP_CONCURRENCY unset,
  - Microsoft's Node sample deployment: 2048 MB, Flex's default concurrency (16).

Inputs (flags; the defaults come from this repository's measurements):
  --rate            tool calls per second arriving (steady, after a step from zero)
  --latency-ms      upstream latency per call (the call's time is this plus its CPU time)
  --burst-s         how long the load lasts, for the GB-s of one burst
  --concurrency     this server's perInstanceConcurrency (infra/main.bicep's default)
  --max-instances   the app's maximumInstanceCount (infra default 100)
  cold starts (process spawn to first answer) from bench/results/latest.json (bench/run.sh),
  CPU per call from bench/results/concurrency.json (ours, slow upstream) and latest.json
  (the Node sample's, fast upstream: its slow-upstream figure was not measured).

Assumptions, from Microsoft's documentation (links in docs/performance.md):
  - Flex adds instances when the HTTP calls in flight per instance reach the per-instance
    concurrency, so instances = ceil(calls in flight / concurrency), calls in flight being
    rate x time per call (Little's law). If the instances' CPU would be the tighter bound
    (CPU per call x rate > vCPUs x --cpu-target), that count is used instead.
  - vCPUs per instance: 512 MB = 0.25, 2048 MB = 1, 4096 MB = 2 (flex-consumption-plan).
  - On-demand billing: an instance's memory (GB) for every second it is executing at
    least one call (minimum 1 s, then 100 ms steps), plus a charge per execution that is
    the same for every deployment and left out here. With calls spread evenly, an
    instance holding m calls in flight on average is executing for 1 - e^-m of the time
    (Poisson arrivals); at these rates that is all of the time.
  - Each instance a burst needs beyond the always-ready ones (0 in infra/) is a cold start.
    What the platform takes to allocate an instance is the same for all deployments and
    not modelled; what differs is the process start, measured locally by bench/run.sh.
  - The Functions host (the .NET process in front of every custom handler) costs CPU and
    memory on every instance alike; it is not in the CPU figures (it was not measured).
  - Prices: the example on-demand rate in Microsoft's cost docs, $0.000026 per GB-s
    (no free grant); check the Azure Functions pricing page for your region.
"""

import argparse
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VCPUS = {512: 0.25, 2048: 1.0, 4096: 2.0}
FLEX_DEFAULT_CONCURRENCY = {512: 4, 2048: 16, 4096: 32}
PRICE_PER_GB_S = 0.000026


def bicep_concurrency():
    """The default of infra/main.bicep's httpConcurrency, so the model follows the infra."""
    try:
        text = (ROOT / "infra/main.bicep").read_text()
    except OSError:
        return 250
    match = re.search(r"^param httpConcurrency int = (\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else 250


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def measured_inputs():
    """Cold starts and CPU per call from the results files, with the values they held
    when this script was written as a fallback."""
    latest = load_json(ROOT / "bench/results/latest.json") or {}
    servers = latest.get("servers", {})

    def cold(name, fallback):
        return servers.get(name, {}).get("cold_start_ms", {}).get("median", fallback)

    def cpu(name, fallback):
        load = servers.get(name, {}).get("load", {})
        return load.get("tools/call get_alerts c=64", {}).get("cpu_us_per_req", {}) \
            .get("median", fallback)

    ours_cpu = 240.0
    concurrency = load_json(ROOT / "bench/results/concurrency.json") or {}
    rows = concurrency.get("workloads", {}).get("alerts", [])
    if rows:  # the level closest to 1000 calls in flight
        ours_cpu = min(rows, key=lambda r: abs(r["in_flight"] - 1000))["server_cpu_us_per_call"]
    return {
        "ours_cold_ms": cold("rust-mcp-functions", 2.9),
        "node_cold_ms": cold("node-ts-sdk", 183.7),
        "ours_cpu_us": ours_cpu,
        "node_cpu_us": cpu("node-ts-sdk", 555.0),
    }


def model(name, rate, latency_s, memory_mb, concurrency, cpu_us, cold_ms, burst_s,
          max_instances, cpu_target):
    vcpus = VCPUS[memory_mb]
    # A call holds its slot for the upstream wait plus its own CPU time on the instance.
    call_s = latency_s + cpu_us / 1e6 / vcpus
    in_flight = rate * call_s
    by_concurrency = math.ceil(in_flight / concurrency) if in_flight > 0 else 0
    by_cpu = math.ceil(rate * cpu_us / 1e6 / (vcpus * cpu_target)) if rate > 0 else 0
    needed = max(by_concurrency, by_cpu)
    instances = min(needed, max_instances)
    per_instance = in_flight / instances if instances else 0.0
    busy = 1 - math.exp(-per_instance) if instances else 0.0
    gb_s_per_s = instances * memory_mb / 1024 * busy
    billed_s = max(1.0, math.ceil(burst_s * busy * 10) / 10)  # 1 s minimum, 100 ms steps
    return {
        "deployment": name,
        "memory_mb": memory_mb,
        "concurrency": concurrency,
        "in_flight": in_flight,
        "instances": instances,
        "instances_needed": needed,
        "bound": "CPU" if by_cpu > by_concurrency else "concurrency",
        "capped": needed > max_instances,
        "cold_starts": instances,
        "process_cold_start_ms": cold_ms,
        "cpu_use": rate * cpu_us / 1e6 / (instances * vcpus) if instances else 0.0,
        "gb_s_per_s": gb_s_per_s,
        "gb_s_burst": instances * memory_mb / 1024 * billed_s,
        "usd_per_hour": gb_s_per_s * 3600 * PRICE_PER_GB_S,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="calls per second")
    parser.add_argument("--latency-ms", type=float, default=800.0, help="upstream latency")
    parser.add_argument("--burst-s", type=float, default=60.0, help="length of the burst")
    parser.add_argument("--concurrency", type=int, default=bicep_concurrency(),
                        help="this server's perInstanceConcurrency (HTTP_CONCURRENCY; "
                             "default: infra/main.bicep's)")
    parser.add_argument("--max-instances", type=int, default=100,
                        help="maximumInstanceCount (MAXIMUM_INSTANCE_COUNT)")
    parser.add_argument("--cpu-target", type=float, default=0.5,
                        help="share of an instance's vCPUs a deployment may use before "
                             "the model adds instances for CPU (the host needs the rest)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    m = measured_inputs()
    latency_s = args.latency_ms / 1000
    common = (args.rate, latency_s)
    rows = [
        model(f"rust-mcp-functions, HTTP_CONCURRENCY={args.concurrency}", *common, 512,
              args.concurrency, m["ours_cpu_us"], m["ours_cold_ms"], args.burst_s,
              args.max_instances, args.cpu_target),
        model("rust-mcp-functions, Flex default concurrency", *common, 512,
              FLEX_DEFAULT_CONCURRENCY[512], m["ours_cpu_us"], m["ours_cold_ms"],
              args.burst_s, args.max_instances, args.cpu_target),
        model("Node sample (TypeScript SDK), Flex defaults", *common, 2048,
              FLEX_DEFAULT_CONCURRENCY[2048], m["node_cpu_us"], m["node_cold_ms"],
              args.burst_s, args.max_instances, args.cpu_target),
    ]
    if args.json:
        print(json.dumps({"inputs": {**vars(args), **m}, "rows": rows}, indent=2))
        return
    print(f"{args.rate:,.0f} calls/s, {args.latency_ms:,.0f} ms upstream latency, "
          f"a {args.burst_s:,.0f} s burst from zero; maximumInstanceCount {args.max_instances}")
    print(f"inputs: CPU per call ours {m['ours_cpu_us']:.0f} µs, Node sample "
          f"{m['node_cpu_us']:.0f} µs; process cold start ours {m['ours_cold_ms']:.1f} ms, "
          f"Node sample {m['node_cold_ms']:.1f} ms\n")
    print("| deployment | memory | per-instance concurrency | calls in flight | instances "
          "| cold starts in the burst | process cold start | CPU use per instance "
          "| GB-s billed per s | GB-s for the burst | $ per hour |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        instances = f"{r['instances']}"
        if r["capped"]:
            instances += (f" (needs {r['instances_needed']}; the rest of the calls queue "
                          "or fail)")
        elif r["bound"] == "CPU":
            instances += " (CPU-bound)"
        print(f"| {r['deployment']} | {r['memory_mb']} MB | {r['concurrency']} "
              f"| {r['in_flight']:,.0f} | {instances} | {r['cold_starts']} "
              f"| {r['process_cold_start_ms']:.0f} ms | {100 * r['cpu_use']:.0f}% "
              f"| {r['gb_s_per_s']:,.1f} | {r['gb_s_burst']:,.0f} | {r['usd_per_hour']:,.2f} |")


if __name__ == "__main__":
    main()
