// Drives the server with the official MCP TypeScript SDK.
//
// Usage: node client.mjs URL [TOOL JSON_ARGS]...
// Initializes, lists tools, calls each TOOL with its JSON arguments, and prints one
// JSON report on stdout: {"serverInfo", "instructions", "tools", "calls": [{"name", "result"}]}.
// The SDK checks each result's structuredContent against the tool's outputSchema and
// throws when it does not match, so a passing call is also a schema check.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, ...rest] = process.argv.slice(2);
const client = new Client({ name: "ts-sdk-test-client", version: "0" });
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const { tools } = await client.listTools();
const calls = [];
for (let i = 0; i < rest.length; i += 2) {
  const result = await client.callTool({ name: rest[i], arguments: JSON.parse(rest[i + 1]) });
  calls.push({ name: rest[i], result });
}
console.log(JSON.stringify({
  serverInfo: client.getServerVersion(),
  instructions: client.getInstructions(),
  tools,
  calls,
}));
await client.close();
