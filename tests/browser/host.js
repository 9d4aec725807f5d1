// A minimal MCP Apps host page built on the host side of the MCP Apps SDK
// (`AppBridge` from `@modelcontextprotocol/ext-apps/app-bridge`), as a chat client
// embeds it. tests/npm/widget-driver.mjs bundles this file into tests/browser/host.html.
//
// It loads the view's HTML (as read from the server) into a sandboxed iframe under the
// spec's restrictive default CSP and connects an AppBridge to it over postMessage. The
// bridge answers the view's `ui/initialize` with the host context (theme) and checks
// every message against the SDK's schemas; once the view reports
// `ui/notifications/initialized`, the host sends it the tool's input and result. The
// host follows `ui/notifications/size-changed`, switches the theme through the
// bridge's host context, and records every message the view sends.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

// The CSP the spec says a host MUST apply when the resource declares no `ui.csp`.
const DEFAULT_CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; " +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; " +
  "connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'self'";

window.received = [];
let bridge;
let context;

// Starts the view. `theme` goes into the host context; `toolInput` and `toolResult`
// are sent after the view's `ui/notifications/initialized`.
window.startHost = async ({ html, theme, toolInput, toolResult }) => {
  const frame = document.createElement("iframe");
  frame.title = "Weather widget";
  frame.setAttribute("sandbox", "allow-scripts");
  const csp = `<meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`;
  frame.srcdoc = html.replace(/<head>/i, `<head>${csp}`);
  window.addEventListener("message", (event) => {
    if (event.source === frame.contentWindow) window.received.push(event.data);
  });
  document.body.append(frame);

  context = { theme, displayMode: "inline", platform: "web",
              containerDimensions: { width: 480, maxHeight: 600 } };
  bridge = new AppBridge(
    null,
    { name: "rust-mcp-functions-test-host", version: "0" },
    {},
    { hostContext: context },
  );
  bridge.addEventListener("sizechange", ({ height }) => {
    if (height != null) frame.style.height = `${height}px`;
  });
  bridge.addEventListener("initialized", async () => {
    await bridge.sendToolInput({ arguments: toolInput });
    await bridge.sendToolResult(toolResult);
  });
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
};

// The host switches its theme: the bridge tells the view what changed.
window.setTheme = (theme) => {
  context = { ...context, theme };
  bridge.setHostContext(context);
};

// The host is about to remove the view: the view must answer before it goes.
window.teardown = () => bridge.teardownResource({});
