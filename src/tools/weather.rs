//! Weather tools: NWS alerts and forecasts, and worldwide current weather.

use rmcp::tool_router;

use crate::server::McpServer;

#[tool_router(router = weather_router, vis = "pub(crate)", allow_empty)]
impl McpServer {}
