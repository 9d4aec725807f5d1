"""Drives the server with the official Python MCP SDK (1.x or 2.x).

Usage: client.py URL [TOOL JSON_ARGS]...
Initializes, lists tools, calls each TOOL with its JSON arguments, and prints one
JSON report on stdout: {"initialize": ..., "tools": [...], "calls": [{"name", "result"}]}.
Every object is dumped in its wire form (camelCase), whatever the SDK version.
Exit code: 0 on success, 2 on a transport or protocol error (the traceback on stderr).
"""

import asyncio
import json
import sys

from mcp import ClientSession

try:  # 1.2x and 2.x
    from mcp.client.streamable_http import streamable_http_client as connect
except ImportError:  # older 1.x
    from mcp.client.streamable_http import streamablehttp_client as connect


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(url, calls):
    async with connect(url) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            report = {"initialize": dump(init), "tools": [dump(t) for t in tools.tools], "calls": []}
            for name, args in calls:
                result = await session.call_tool(name, args)
                report["calls"].append({"name": name, "result": dump(result)})
    return report


def main():
    url, rest = sys.argv[1], sys.argv[2:]
    calls = [(rest[i], json.loads(rest[i + 1])) for i in range(0, len(rest), 2)]
    print(json.dumps(asyncio.run(run(url, calls))))


if __name__ == "__main__":
    main()
