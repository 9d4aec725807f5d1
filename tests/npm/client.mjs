// Drives the server with the official MCP TypeScript SDK.
//
// Usage: node client.mjs URL [--protocol-version V] [--header "Name: value"]... [TOOL JSON_ARGS]...
// Initializes (proposing V instead of the SDK's latest revision if given), lists
// tools, calls each TOOL with its JSON arguments, lists and reads every resource if
// the server declares resources, and prints one JSON report on stdout:
//   {"protocolVersion", "serverInfo", "capabilities", "instructions", "tools",
//    "calls": [{"name", "result"}], "resources", "reads": [{"uri", "contents"}]}
// The SDK checks each result's structuredContent against the tool's outputSchema and
// throws when it does not match, so a passing call is also a schema check.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const argv = process.argv.slice(2);
const url = argv.shift();
const headers = {};
let protocolVersion;
const rest = [];
while (argv.length > 0) {
  const arg = argv.shift();
  if (arg === "--protocol-version") protocolVersion = argv.shift();
  else if (arg === "--header") {
    const line = argv.shift();
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  } else rest.push(arg);
}

const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
if (protocolVersion) {
  // The SDK always proposes its latest revision; rewrite the proposal on the wire.
  // It then sends the server's answer as MCP-Protocol-Version on later requests.
  const send = transport.send.bind(transport);
  transport.send = (message, options) =>
    send(
      message.method === "initialize"
        ? { ...message, params: { ...message.params, protocolVersion } }
        : message,
      options,
    );
}
const client = new Client({ name: "ts-sdk-test-client", version: "0" });
await client.connect(transport);
const { tools } = await client.listTools();
const calls = [];
for (let i = 0; i < rest.length; i += 2) {
  const result = await client.callTool({ name: rest[i], arguments: JSON.parse(rest[i + 1]) });
  calls.push({ name: rest[i], result });
}
const capabilities = client.getServerCapabilities();
let resources = [];
const reads = [];
if (capabilities.resources) {
  resources = (await client.listResources()).resources;
  for (const { uri } of resources) {
    reads.push({ uri, contents: (await client.readResource({ uri })).contents });
  }
}
console.log(JSON.stringify({
  protocolVersion: transport.protocolVersion,
  serverInfo: client.getServerVersion(),
  capabilities,
  instructions: client.getInstructions(),
  tools,
  calls,
  resources,
  reads,
}));
await client.close();
