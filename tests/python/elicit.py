"""Calls one tool over 2026-07-28 with the Python MCP SDK 2.x, declaring elicitation,
and answers every elicitation the server asks for (SEP-2322 input-required results)
as told.

Usage: elicit.py URL TOOL JSON_ARGS --action accept|decline|cancel [--content JSON]
                 [--retry-url URL2]

Without --retry-url, the SDK's own driver (`Client.call_tool`) fulfils the input
requests through the elicitation callback and retries, on URL. With --retry-url, the
first round goes to URL (`session.call_tool(..., allow_input_required=True)`), the
answers are collected through the same callback, and the retry, carrying them and
the echoed `requestState`, goes to a second client connected to URL2: another server
instance that must accept it.

Prints one JSON report on stdout:
  {"protocolVersion", "elicitations": [{"message", "requestedSchema"}],
   "firstRound" (with --retry-url), "result"}
Everything is dumped in its wire form (camelCase). A protocol error exits non-zero
with the traceback on stderr.
"""

import argparse
import asyncio
import json

import mcp_types as types
from mcp.client.client import Client

REVISION = "2026-07-28"


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(args):
    elicitations = []

    async def answer(_context, params):
        elicitations.append({"message": params.message, "requestedSchema": dump(params)["requestedSchema"]})
        if args.action == "accept":
            return types.ElicitResult(action="accept", content=args.content)
        return types.ElicitResult(action=args.action)

    report = {"elicitations": elicitations}
    async with Client(args.url, mode=REVISION, elicitation_callback=answer) as client:
        report["protocolVersion"] = client.protocol_version
        if args.retry_url is None:
            report["result"] = dump(await client.call_tool(args.tool, args.arguments))
            return report
        first = await client.session.call_tool(args.tool, args.arguments, allow_input_required=True)
        report["firstRound"] = dump(first)
        if not isinstance(first, types.InputRequiredResult):
            raise AssertionError(f"{args.tool} completed in one round: {report['firstRound']}")
        responses = {}
        for key, request in (first.input_requests or {}).items():
            if not isinstance(request, types.ElicitRequest):
                raise AssertionError(f"{key}: only elicitation is answered here, got {request.method}")
            responses[key] = await answer(None, request.params)
    async with Client(args.retry_url, mode=REVISION, elicitation_callback=answer) as other:
        result = await other.call_tool(
            args.tool, args.arguments, input_responses=responses, request_state=first.request_state
        )
        report["result"] = dump(result)
    return report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("tool")
    parser.add_argument("arguments", type=json.loads)
    parser.add_argument("--action", choices=["accept", "decline", "cancel"], required=True)
    parser.add_argument("--content", type=json.loads, default=None)
    parser.add_argument("--retry-url")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
