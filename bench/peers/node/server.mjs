// Benchmark peer: a stateless streamable-HTTP MCP server on the official TypeScript
// SDK (express, enableJsonResponse, a new server and transport per request), with
// the same two NWS tools. Env: PORT, NWS_API_BASE_URL.
import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const NWS = process.env.NWS_API_BASE_URL;
const PORT = Number(process.env.PORT);
const HEADERS = { "User-Agent": "bench-node-peer/1.0", Accept: "application/geo+json" };

async function nws(url) {
  const response = await fetch(url, { headers: HEADERS });
  return response.ok ? response.json() : null;
}

function buildServer() {
  const server = new McpServer({ name: "bench-node-peer", version: "1.0.0" });
  server.registerTool(
    "get_alerts",
    {
      title: "Get weather alerts",
      description: "Get active weather alerts for a US state",
      inputSchema: { state: z.string().length(2).describe("Two-letter state code (e.g. CA, NY)") },
    },
    async ({ state }) => {
      const data = await nws(`${NWS}/alerts/active?area=${state.toUpperCase()}`);
      if (!data) return { content: [{ type: "text", text: "Failed to retrieve alerts" }], isError: true };
      const lines = data.features.map((f) => [
        `Event: ${f.properties.event}`, `Area: ${f.properties.areaDesc}`,
        `Severity: ${f.properties.severity}`, `Headline: ${f.properties.headline}`, "---",
      ].join("\n"));
      const text = lines.length ? lines.join("\n") : `No active alerts for ${state}`;
      return { content: [{ type: "text", text }] };
    },
  );
  server.registerTool(
    "get_forecast",
    {
      title: "Get weather forecast",
      description: "Get the weather forecast for a US location",
      inputSchema: { latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) },
    },
    async ({ latitude, longitude }) => {
      const points = await nws(`${NWS}/points/${latitude.toFixed(4)},${longitude.toFixed(4)}`);
      const forecast = points && (await nws(points.properties.forecast));
      if (!forecast) return { content: [{ type: "text", text: "Failed to retrieve forecast" }], isError: true };
      const text = forecast.properties.periods.map((p) =>
        `${p.name}:\nTemperature: ${p.temperature}°${p.temperatureUnit}\nWind: ${p.windSpeed} ${p.windDirection}\n${p.shortForecast}\n---`,
      ).join("\n");
      return { content: [{ type: "text", text }] };
    },
  );
  return server;
}

const app = express();
app.use(express.json({ limit: "4mb" }));
app.get("/", (_req, res) => res.send("ok"));
app.post("/mcp", async (req, res) => {
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on("close", () => { transport.close(); server.close(); });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
app.all("/mcp", (_req, res) => res.status(405).set("Allow", "POST").end());
app.listen(PORT, "127.0.0.1");
