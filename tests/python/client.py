"""Drives the server with the official Python MCP SDK (1.x or 2.x).

Usage: client.py URL [--protocol-version V | --discover] [--header "Name: value"]...
                 [--complete ref/prompt|ref/resource NAME_OR_URI ARGUMENT VALUE]...
                 [TOOL JSON_ARGS]...
Connects (initialize, proposing V if given; or, with --discover on 2.x, the
2026-07-28 `server/discover`), lists tools, calls each TOOL with its JSON
arguments, lists and reads every resource if the server declares resources, asks
for each --complete (`completion/complete`), and prints one JSON report on stdout:
  {"protocolVersion", "initialize" | "discover", "tools", "calls": [{"name", "result"}],
   "resources", "reads": [{"uri", "contents"}], "completions": [result]}
Every object is dumped in its wire form (camelCase), whatever the SDK version.
Each call's structuredContent is checked against the tool's outputSchema with
`jsonschema`; a mismatch, like a transport or protocol error, exits non-zero with
the traceback on stderr.
"""

import argparse
import asyncio
import json

import jsonschema
import mcp.client.session
import mcp.types
from mcp import ClientSession
from mcp.shared._httpx_utils import create_mcp_http_client

try:  # 1.2x and 2.x
    from mcp.client.streamable_http import streamable_http_client as connect
except ImportError:  # older 1.x
    from mcp.client.streamable_http import streamablehttp_client as connect


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def propose(version):
    """Makes initialize propose `version` (the SDKs always send their latest)."""
    for module, name in [(mcp.types, "LATEST_PROTOCOL_VERSION"), (mcp.client.session, "LATEST_HANDSHAKE_VERSION")]:
        if hasattr(module, name):
            setattr(module, name, version)


def check_output_schema(tool, result):
    schema = tool.get("outputSchema")
    if schema is None or result.get("isError"):
        return
    if "structuredContent" not in result:
        raise AssertionError(f"{tool['name']} declares an outputSchema but returned no structuredContent")
    jsonschema.validate(result["structuredContent"], schema)


async def run(args):
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    report = {"calls": [], "resources": [], "reads": [], "completions": []}
    async with create_mcp_http_client(headers=headers) as http:
        async with connect(args.url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                if args.discover:
                    opened = dump(await session.discover())
                    report["discover"] = opened
                else:
                    opened = dump(await session.initialize())
                    report["initialize"] = opened
                report["protocolVersion"] = getattr(session, "protocol_version", None) or opened.get("protocolVersion")
                tools = [dump(t) for t in (await session.list_tools()).tools]
                report["tools"] = tools
                by_name = {t["name"]: t for t in tools}
                for name, arguments in args.calls:
                    result = dump(await session.call_tool(name, arguments))
                    check_output_schema(by_name[name], result)
                    report["calls"].append({"name": name, "result": result})
                if "resources" in opened.get("capabilities", {}):
                    resources = [dump(r) for r in (await session.list_resources()).resources]
                    report["resources"] = resources
                    for resource in resources:
                        contents = dump(await session.read_resource(resource["uri"]))["contents"]
                        report["reads"].append({"uri": resource["uri"], "contents": contents})
                for kind, name, argument, value in args.complete:
                    if kind == "ref/prompt":
                        ref = mcp.types.PromptReference(type=kind, name=name)
                    else:
                        ref = mcp.types.ResourceTemplateReference(type=kind, uri=name)
                    result = await session.complete(ref, {"name": argument, "value": value})
                    report["completions"].append(dump(result))
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--protocol-version")
    parser.add_argument("--discover", action="store_true")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--complete", nargs=4, action="append", default=[])
    parser.add_argument("calls", nargs="*")
    args = parser.parse_intermixed_args()
    args.calls = [(args.calls[i], json.loads(args.calls[i + 1])) for i in range(0, len(args.calls), 2)]
    if args.protocol_version:
        propose(args.protocol_version)
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
