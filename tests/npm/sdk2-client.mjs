// Drives the server with the MCP TypeScript SDK 2.x (`@modelcontextprotocol/client`),
// as a new user would set it up.
//
// Usage: node sdk2-client.mjs URL [--negotiation legacy|auto] [--complete JSON]...
//                             [--prompt NAME JSON_ARGS]... [TOOL JSON_ARGS]...
// `--negotiation` is the client's `versionNegotiation.mode`: `legacy` (the SDK's
// default) opens with the 2025 `initialize` handshake, `auto` probes with
// `server/discover` and speaks 2026-07-28 with a server that offers it.
// It connects, lists tools, calls each TOOL with its JSON arguments, lists prompts and
// gets each `--prompt`, lists and reads every resource and lists the resource
// templates if the server declares resources, asks for each `--complete` (the params
// of `completion/complete`), and prints one JSON report on stdout:
//   {"protocolVersion", "era", "serverInfo", "capabilities", "instructions", "tools",
//    "calls": [{"name", "result"}], "prompts", "promptResults": [{"name", "result"}],
//    "resources", "templates", "reads": [{"uri", "contents"}],
//    "completions": [{"params", "result"}]}
// The SDK checks each result's structuredContent against the tool's outputSchema and
// throws when it does not match; whatever it prints about schemas goes to stderr.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const argv = process.argv.slice(2);
const url = argv.shift();
let mode = "legacy";
const completes = [];
const prompts = [];
const calls = [];
while (argv.length > 0) {
  const arg = argv.shift();
  if (arg === "--negotiation") mode = argv.shift();
  else if (arg === "--complete") completes.push(JSON.parse(argv.shift()));
  else if (arg === "--prompt") prompts.push({ name: argv.shift(), arguments: JSON.parse(argv.shift()) });
  else calls.push({ name: arg, arguments: JSON.parse(argv.shift()) });
}

const client = new Client(
  { name: "ts-sdk-2-test-client", version: "0" },
  { versionNegotiation: { mode } },
);
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const capabilities = client.getServerCapabilities();
const report = {
  protocolVersion: client.getNegotiatedProtocolVersion(),
  era: client.getProtocolEra(),
  serverInfo: client.getServerVersion(),
  capabilities,
  instructions: client.getInstructions(),
  tools: (await client.listTools()).tools,
  calls: [],
  prompts: [],
  promptResults: [],
  resources: [],
  templates: [],
  reads: [],
  completions: [],
};
for (const call of calls) {
  report.calls.push({ name: call.name, result: await client.callTool(call) });
}
if (capabilities.prompts) {
  report.prompts = (await client.listPrompts()).prompts;
  for (const prompt of prompts) {
    report.promptResults.push({ name: prompt.name, result: await client.getPrompt(prompt) });
  }
}
if (capabilities.resources) {
  report.resources = (await client.listResources()).resources;
  report.templates = (await client.listResourceTemplates()).resourceTemplates;
  for (const { uri } of report.resources) {
    report.reads.push({ uri, contents: (await client.readResource({ uri })).contents });
  }
}
for (const params of completes) {
  report.completions.push({ params, result: await client.complete(params) });
}
console.log(JSON.stringify(report));
await client.close();
