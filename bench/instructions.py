#!/usr/bin/env python3
"""User-space instructions per request (stdlib only), a figure machine noise does not
move. Run through bench/instructions.sh, which builds the binaries.

For each case, the server runs under `valgrind --tool=callgrind` twice: once answering
N requests, once N+1000, each time on one kept-alive connection, sequentially, after
the same start-up. callgrind counts every instruction the process executes in user
space (its own code and the libraries linked into it; not the kernel's). The
difference between the two runs, divided by 1000, is what one more request costs:
start-up, first-use setup and shutdown cancel out.

Cases: `ping`, `tools/list` and `tools/call get_alerts` (against the NWS stand-in,
examples/nws_stub.rs, which runs outside valgrind) on the deployed binary; `tools/list`
on the floor (examples/floor.rs: a bare hyper server answering the same bytes); and
`ping` and `tools/list` on rmcp alone (examples/rmcp_floor.rs: the same handler behind
rmcp's stateless service with the hosting layer's settings, and nothing else), which
is what rmcp costs whatever the hosting layer does.

With --profile-handler (the deployed code built with symbols) and --profile-rmcp (the
rmcp-alone example, same build), `ping` and `tools/list` are run once more on them, and
the per-function difference of the two runs (callgrind_annotate, inclusive and self)
is written to bench/results/instructions-{ping,tools-list,rmcp-ping}-profile.txt
(KEEP=1 keeps the callgrind files).

Results: bench/results/instructions.json (or --out).
"""

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = "2025-06-18"
HEADERS = {"Content-Type": "application/json",
           "Accept": "application/json, text/event-stream",
           "MCP-Protocol-Version": PROTOCOL}
BODIES = {
    "ping": {"jsonrpc": "2.0", "id": 1, "method": "ping"},
    "tools/list": {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    "tools/call get_alerts": {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                              "params": {"name": "get_alerts", "arguments": {"state": "WA"}}},
}
# What the deployed binary cost before this round of optimisation (commit 6b45060,
# 2026-12-02, this harness), to compare against; issue 13's figures on main were
# ping ~110,000, tools/list ~312,000 (with fewer tools) and the floor ~16,000.
BEFORE = {"ping": 114_727, "tools/list": 420_400, "tools/call get_alerts": 312_146,
          "floor tools/list": 18_777}
# Profiled cases: (case name, binary argument, request, file under bench/results/).
PROFILES = [
    ("ping (symbols build)", "profile_handler", "ping", "instructions-ping-profile.txt"),
    ("tools/list (symbols build)", "profile_handler", "tools/list",
     "instructions-tools-list-profile.txt"),
    ("rmcp alone ping (symbols build)", "profile_rmcp", "ping",
     "instructions-rmcp-ping-profile.txt"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process, timeout=120):
    """SIGTERM by PID (the server then exits and callgrind writes its file); SIGKILL if
    it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_line(path, process, needle, deadline_s=120.0):
    """Waits until the server's stdout (a file) has a line containing `needle`."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before it was ready")
        for line in path.read_text(errors="replace").splitlines():
            if needle in line:
                return line
        time.sleep(0.1)
    raise RuntimeError(f"no {needle!r} line in time")


def run(binary, args, env, body, n, out_file, workdir):
    """Runs `binary` under callgrind, sends `n` requests on one connection, stops it;
    returns the total instructions (Ir) callgrind counted."""
    stdout_path = Path(workdir) / f"{out_file.name}.stdout"
    with open(stdout_path, "w") as stdout:
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", binary, *args],
            env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd=workdir)
    try:
        line = wait_for_line(stdout_path, process, "listening on")
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        payload = json.dumps(body)
        for _ in range(n):
            conn.request("POST", "/mcp", payload, HEADERS)
            response = conn.getresponse()
            data = response.read()
            if response.status != 200 or b'"isError":true' in data or b'"error":{' in data:
                raise RuntimeError(f"a request failed: {response.status} {data[:300]!r}")
        conn.close()
    finally:
        stop(process)
    text = out_file.read_text(errors="replace")
    match = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no instruction total in {out_file}")
    return int(match.group(1))


def annotate(out_file, inclusive):
    """Per-function instruction counts from callgrind_annotate: {(file, function): Ir}.
    The file is where the instructions' source lines are (code inlined from another
    crate keeps its own file)."""
    text = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--auto=no",
         "--threshold=100", str(out_file)],
        capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not match or "PROGRAM TOTALS" in match.group(2):
            continue
        entry = re.sub(r"\s+\[[^\]]*\]$", "", match.group(2))  # the object file
        file_match = re.match(r"^(\?\?\?|[^:\s]*/[^:\s]*):(?!:)(.*)$", entry)
        key = (file_match.group(1), file_match.group(2)) if file_match else ("???", entry)
        counts[key] = counts.get(key, 0) + int(match.group(1).replace(",", ""))
    return counts


def crate_of(file, function):
    """Whose code it is: the crate a function's path names, or for bare addresses the
    library its source file belongs to."""
    if "::" not in function:  # C code, or an address without a symbol
        if "musl" in file:
            return "musl libc"
        if "mimalloc" in file:
            return "mimalloc"
        return "other (no symbol)"
    name = re.sub(r"^(<|&mut |&|\*const |\*mut )+", "", function)
    name = re.sub(r"^(impl|dyn) ", "", name)
    crate = re.split(r"::|<| |\(", name, maxsplit=1)[0]
    if crate in {"alloc", "core", "std", "str", "bool", "char", "f32", "f64"} \
            or re.fullmatch(r"[iu](8|16|32|64|128|size)|[A-Z]", crate):
        return "std"  # the standard library, or its impls on primitives and generics
    return {"rust_mcp_functions": "rust-mcp-functions (this server)"}.get(crate, crate)


def per_request(before, after, extra):
    return {k: (after.get(k, 0) - before.get(k, 0)) / extra for k in set(before) | set(after)}


def table(rows, total, top):
    ranked = sorted(rows.items(), key=lambda kv: -kv[1])[:top]
    lines = [f"{'per request':>12}  {'share':>6}  what", f"{'-' * 12}  {'-' * 6}  {'-' * 4}"]
    for name, count in ranked:
        lines.append(f"{count:12,.0f}  {100 * count / total:5.1f}%  {name}")
    return lines + [""]


def profile_text(before, after, extra, total, what):
    self_cost = per_request(annotate(before, False), annotate(after, False), extra)
    by_crate, by_function = {}, {}
    for (file, function), count in self_cost.items():
        crate = crate_of(file, function)
        by_crate[crate] = by_crate.get(crate, 0) + count
        name = function if not re.fullmatch(r"0x[0-9a-f]+", function) \
            else f"{function} ({Path(file).name})"
        by_function[name] = by_function.get(name, 0) + count
    inclusive = {}
    for (_, function), count in per_request(annotate(before, True), annotate(after, True),
                                            extra).items():
        inclusive[function] = inclusive.get(function, 0) + count
    # callgrind_annotate adds the inclusive cost of a recursive call chain more than once
    # (tokio's task poll, nested futures): entries above the total are such frames.
    inclusive = {k: v for k, v in inclusive.items() if v <= total * 1.001}
    return "\n".join([
        f"Where the instructions of {what} go: callgrind_annotate of a run with",
        f"N+{extra} requests minus the same for N requests, divided by {extra}",
        "(bench/instructions.sh; built with symbols: release profile, not stripped).",
        f"Total per request: {total:,.0f} instructions.",
        "",
        "Self cost by crate (the crate whose function runs; generic code counts for the",
        "crate that defines it, e.g. serde_core::SerializeMap for serde_json's maps)",
        "",
        *table(by_crate, total, 20),
        "Self cost by function (instructions in the function itself, inlined code included)",
        "",
        *table(by_function, total, 30),
        "Inclusive cost by function (the function and all it calls). callgrind_annotate",
        "counts a recursive call chain once per level (serde's nested serialize calls,",
        "nested futures): such entries are overstated, and those above the total are left out.",
        "",
        *table(inclusive, total, 45),
    ])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", required=True, help="the deployed (musl, stripped) binary")
    parser.add_argument("--floor", required=True, help="examples/floor.rs, release")
    parser.add_argument("--rmcp", required=True, help="examples/rmcp_floor.rs, release")
    parser.add_argument("--stub", required=True, help="the NWS stand-in")
    parser.add_argument("--profile-handler", help="the deployed code built with symbols")
    parser.add_argument("--profile-rmcp", help="examples/rmcp_floor.rs built with symbols")
    parser.add_argument("--n", type=int, default=int(os.environ.get("N", 1000)))
    parser.add_argument("--extra", type=int, default=int(os.environ.get("EXTRA", 1000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("REPEAT", 3)),
                        help="pairs of runs per case; the median is reported (profiled "
                             "cases run one pair)")
    parser.add_argument("--out", default=str(ROOT / "bench/results/instructions.json"))
    parser.add_argument("--profile-dir", default=str(ROOT / "bench/results"))
    args = parser.parse_args()
    binaries = ("handler", "floor", "rmcp", "stub", "profile_handler", "profile_rmcp")
    for name in binaries:
        if getattr(args, name):
            setattr(args, name, str(Path(getattr(args, name)).resolve()))

    workdir = Path(tempfile.mkdtemp(prefix="bench-instructions-"))
    stub = subprocess.Popen([args.stub, str(ROOT / "tests/fixtures")], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    results = {"method": {
        "tool": subprocess.run(["valgrind", "--version"], capture_output=True,
                               text=True).stdout.strip() + " --tool=callgrind",
        "requests": f"N={args.n} and N+{args.extra}, one kept-alive connection, sequential",
        "per_request": f"(Ir(N+{args.extra}) - Ir(N)) / {args.extra}, median of "
                       f"{args.repeat} pairs of runs (profiled cases: one pair)",
        "counts": "user-space instructions of the server process (callgrind Ir)"},
        "binaries": {name: relative(getattr(args, name)) for name in binaries
                     if name != "stub"},
        "cases": {}}
    written = []
    try:
        upstream = stub.stdout.readline().strip().removeprefix("listening on ")
        base_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
        # The floor answers our own tools/list bytes: ask the server for them once.
        list_body = fetch_tools_list(args.handler, base_env, workdir)
        body_file = workdir / "tools-list.json"
        body_file.write_bytes(list_body)
        results["tools_list_bytes"] = len(list_body)

        # (name, binary, its arguments, request, pairs of runs, profile file or None)
        cases = [(name, args.handler, [], body, args.repeat, None)
                 for name, body in BODIES.items()]
        cases.append(("floor tools/list", args.floor, [str(body_file)], BODIES["tools/list"],
                      args.repeat, None))
        for request in ("ping", "tools/list"):
            cases.append((f"rmcp alone {request}", args.rmcp, [], BODIES[request],
                          args.repeat, None))
        for name, binary, request, profile in PROFILES:
            if getattr(args, binary):
                cases.append((name, getattr(args, binary), [], BODIES[request], 1, profile))
        for name, binary, extra_args, body, repeat_count, profile in cases:
            env = {**base_env, "FUNCTIONS_CUSTOMHANDLER_PORT": str(free_port()),
                   "NWS_API_BASE_URL": upstream}
            runs = []
            for repeat in range(repeat_count):
                files, totals = [], []
                for n in (args.n, args.n + args.extra):
                    out_file = workdir / f"callgrind.{len(results['cases'])}.{repeat}.{n}.out"
                    print(f"{name}: {n} requests under callgrind", file=sys.stderr, flush=True)
                    totals.append(run(binary, extra_args, env, body, n, out_file, workdir))
                    files.append(out_file)
                runs.append(((totals[1] - totals[0]) / args.extra, totals, files))
                print(f"  {runs[-1][0]:,.0f} instructions per request", file=sys.stderr,
                      flush=True)
            # The median run: tokio's idle workers wake and park a little differently from
            # run to run (valgrind runs one thread at a time), which moves the count slightly.
            runs.sort(key=lambda r: r[0])
            per_request, totals, files = runs[len(runs) // 2]
            results["cases"][name] = {
                "instructions_per_request": round(per_request),
                "runs": [round(r[0]) for r in runs],
                "instructions_total_of_median_run": {str(args.n): totals[0],
                                                     str(args.n + args.extra): totals[1]},
                "fixed_cost": totals[0] - round(per_request * args.n),
                "before": BEFORE.get(name),
            }
            if profile:
                what = name.removesuffix(" (symbols build)")
                what = f"a {what.removeprefix('rmcp alone ')} request" + (
                    " on rmcp alone (examples/rmcp_floor.rs)" if what.startswith("rmcp")
                    else " on the deployed code")
                out = Path(args.profile_dir) / profile
                out.write_text(profile_text(files[0], files[1], args.extra, per_request, what))
                written.append(out)
    finally:
        stop(stub, timeout=10)
        if os.environ.get("KEEP"):
            print(f"callgrind files kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print("\n| request | server | instructions per request (min-max) | before (6b45060) |")
    print("|---|---|---|---|")
    for name, case in results["cases"].items():
        if name.startswith("floor"):
            server, request = "floor (hyper)", name.removeprefix("floor ")
        elif name.startswith("rmcp alone"):
            server, request = "rmcp alone", name.removeprefix("rmcp alone ")
        else:
            server, request = "rust-mcp-functions", name
        before = case["before"]
        print(f"| {request} | {server} | {case['instructions_per_request']:,} "
              f"({min(case['runs']):,}-{max(case['runs']):,}) "
              f"| {format(before, ',') if before else '-'} |")
    print(f"\nwritten: {args.out}")
    for out in written:
        print(f"written: {out}")


def relative(path):
    """A path inside the repository as written from its root, for the results file."""
    if not path:
        return None
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return path


def fetch_tools_list(handler, env, workdir):
    """Starts the server natively, once, and returns its tools/list answer."""
    port = free_port()
    process = subprocess.Popen([handler], env={**env, "FUNCTIONS_CUSTOMHANDLER_PORT": str(port)},
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True, cwd=workdir)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("POST", "/mcp", json.dumps(BODIES["tools/list"]), HEADERS)
                response = conn.getresponse()
                data = response.read()
                if response.status == 200:
                    return data
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer tools/list")
            time.sleep(0.05)
    finally:
        stop(process, timeout=10)


if __name__ == "__main__":
    main()
