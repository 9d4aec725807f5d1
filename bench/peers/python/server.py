"""Benchmark peer: a stateless streamable-HTTP MCP server on the official Python SDK
(FastMCP, stateless_http=True, json_response=True, uvicorn), with the same two NWS
tools. Env: PORT, NWS_API_BASE_URL."""

import os

import httpx
import uvicorn
from mcp.server.fastmcp import FastMCP

NWS = os.environ["NWS_API_BASE_URL"]
PORT = int(os.environ["PORT"])
HEADERS = {"User-Agent": "bench-python-peer/1.0", "Accept": "application/geo+json"}

mcp = FastMCP("bench-python-peer", stateless_http=True, json_response=True, log_level="WARNING")
client = httpx.AsyncClient(headers=HEADERS, timeout=30.0, follow_redirects=True)


async def nws(url):
    response = await client.get(url)
    return response.json() if response.is_success else None


@mcp.tool()
async def get_alerts(state: str) -> str:
    """Get active weather alerts for a US state (two-letter code, e.g. CA, NY)."""
    data = await nws(f"{NWS}/alerts/active?area={state.upper()}")
    if data is None:
        return "Failed to retrieve alerts"
    lines = [
        "\n".join([f"Event: {p['event']}", f"Area: {p['areaDesc']}",
                   f"Severity: {p['severity']}", f"Headline: {p.get('headline')}", "---"])
        for p in (f["properties"] for f in data["features"])
    ]
    return "\n".join(lines) if lines else f"No active alerts for {state}"


@mcp.tool()
async def get_forecast(latitude: float, longitude: float) -> str:
    """Get the weather forecast for a US location."""
    points = await nws(f"{NWS}/points/{latitude:.4f},{longitude:.4f}")
    forecast = points and await nws(points["properties"]["forecast"])
    if not forecast:
        return "Failed to retrieve forecast"
    return "\n".join(
        f"{p['name']}:\nTemperature: {p['temperature']}°{p['temperatureUnit']}\n"
        f"Wind: {p['windSpeed']} {p['windDirection']}\n{p['shortForecast']}\n---"
        for p in forecast["properties"]["periods"]
    )


if __name__ == "__main__":
    uvicorn.run(mcp.streamable_http_app(), host="127.0.0.1", port=PORT,
                log_level="warning", access_log=False)
