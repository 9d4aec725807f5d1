//! The MCP App (extension `io.modelcontextprotocol/ui`, SEP-1865) that hosts which
//! support it show in place of `get_weather`'s text: one self-contained HTML page,
//! served as a `ui://` resource and linked from the tool's `_meta.ui.resourceUri`.
//!
//! The page is a plain file (`weather.html`, inline CSS and JS, no build step) so it
//! can be read and edited as HTML; hosts sandbox it under a CSP that allows no
//! external scripts, fonts or images, and it needs none.

use rmcp::model::{MetaObject, ReadResourceResult, Resource, ResourceContents};
use serde_json::json;

/// The extension identifier declared in the server capabilities.
pub(crate) const EXTENSION_ID: &str = "io.modelcontextprotocol/ui";

/// The only MIME type MCP Apps defines for HTML views.
pub(crate) const MIME_TYPE: &str = "text/html;profile=mcp-app";

/// The widget's resource URI, as Microsoft's Azure Functions MCP Apps samples name it.
pub(crate) const WEATHER_URI: &str = "ui://weather/index.html";

const WEATHER_HTML: &str = include_str!("weather.html");

/// The settings of the extension capability: the MIME types this server serves.
pub(crate) fn capability() -> serde_json::Map<String, serde_json::Value> {
    let mut settings = serde_json::Map::new();
    settings.insert("mimeTypes".to_owned(), json!([MIME_TYPE]));
    settings
}

/// `_meta` for `get_weather`: hosts render its results with the widget.
pub(crate) fn weather_tool_meta() -> MetaObject {
    meta(json!({"resourceUri": WEATHER_URI}))
}

/// Every resource this server lists: the widget.
pub(crate) fn resources() -> Vec<Resource> {
    vec![
        Resource::new(WEATHER_URI, "Weather Widget")
            .with_description("Interactive weather display for MCP Apps")
            .with_mime_type(MIME_TYPE)
            .with_meta(resource_meta()),
    ]
}

/// The contents of `uri`, or `None` when no resource has that URI.
pub(crate) fn read(uri: &str) -> Option<ReadResourceResult> {
    (uri == WEATHER_URI).then(|| {
        ReadResourceResult::new(vec![
            ResourceContents::text(WEATHER_HTML, WEATHER_URI)
                .with_mime_type(MIME_TYPE)
                .with_meta(resource_meta()),
        ])
    })
}

/// A border and background around the widget, which has no frame of its own. On
/// the contents too, since hosts read it from `resources/read`.
fn resource_meta() -> MetaObject {
    meta(json!({"prefersBorder": true}))
}

fn meta(ui: serde_json::Value) -> MetaObject {
    let mut meta = MetaObject::new();
    meta.0.insert("ui".to_owned(), ui);
    meta
}
