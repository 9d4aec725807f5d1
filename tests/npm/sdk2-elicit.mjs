// Calls one tool over 2026-07-28 with the MCP TypeScript SDK 2.x, declaring
// elicitation, and answers every elicitation the server asks for (input-required
// results, SEP-2322) as told. The TypeScript counterpart of tests/python/elicit.py.
//
// Usage: node sdk2-elicit.mjs URL TOOL JSON_ARGS --action accept|decline|cancel
//                             [--content JSON] [--retry-url URL2]
// Without --retry-url, the SDK's own driver fulfils the input requests through the
// registered `elicitation/create` handler and retries, on URL. With --retry-url, the
// first round goes to URL (`allowInputRequired: true`), the answers are collected
// through the same handler, and the retry, carrying them and the echoed
// `requestState`, goes to a second client connected to URL2: another server instance
// that must accept it.
//
// Prints one JSON report on stdout:
//   {"protocolVersion", "elicitations": [{"message", "requestedSchema"}],
//    "firstRound" (with --retry-url), "result"}
// A protocol error exits non-zero with the error on stderr.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const [url, tool, json, ...rest] = process.argv.slice(2);
const options = { action: undefined, content: undefined, retryUrl: undefined };
while (rest.length > 0) {
  const flag = rest.shift();
  if (flag === "--action") options.action = rest.shift();
  else if (flag === "--content") options.content = JSON.parse(rest.shift());
  else if (flag === "--retry-url") options.retryUrl = rest.shift();
  else throw new Error(`unknown flag ${flag}`);
}
const args = JSON.parse(json);
const elicitations = [];

// What the person answers, for the report and for the server.
function answer(params) {
  elicitations.push({ message: params.message, requestedSchema: params.requestedSchema });
  return options.action === "accept"
    ? { action: "accept", content: options.content }
    : { action: options.action };
}

async function connect(to) {
  const client = new Client(
    { name: "ts-sdk-2-elicit", version: "0" },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: "auto" } },
  );
  client.setRequestHandler("elicitation/create", async (request) => answer(request.params));
  await client.connect(new StreamableHTTPClientTransport(new URL(to)));
  return client;
}

const report = { elicitations };
const client = await connect(url);
report.protocolVersion = client.getNegotiatedProtocolVersion();
if (options.retryUrl === undefined) {
  report.result = await client.callTool({ name: tool, arguments: args });
  await client.close();
} else {
  const first = await client.callTool({ name: tool, arguments: args }, { allowInputRequired: true });
  await client.close();
  report.firstRound = first;
  if (first.resultType !== "input_required") {
    throw new Error(`${tool} completed in one round: ${JSON.stringify(first)}`);
  }
  const inputResponses = {};
  for (const [key, request] of Object.entries(first.inputRequests ?? {})) {
    if (request.method !== "elicitation/create") {
      throw new Error(`${key}: only elicitation is answered here, got ${request.method}`);
    }
    inputResponses[key] = answer(request.params);
  }
  const other = await connect(options.retryUrl);
  report.result = await other.callTool({
    name: tool, arguments: args, inputResponses, requestState: first.requestState,
  });
  await other.close();
}
console.log(JSON.stringify(report));
