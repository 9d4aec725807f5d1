// Shows the weather widget in Debian's chromium, hosted through the MCP Apps SDK's
// AppBridge (tests/browser/host.js, bundled with esbuild), and reports what a user
// sees. Driven by tests/api/widget.rs.
//
// Usage: node widget-driver.mjs INPUT.json
// INPUT: {"html": the widget as resources/read returned it, "call": {"arguments",
//         "result"} of a real get_weather call, "errorCall": the same for a failing
//         call, "screenshotDir": where to write PNGs}
// Output (stdout, one JSON object): per scenario the widget's visible text, its
// background and text colours, and the methods it sent to the host; the light
// scenario also what the widget answered to the host's teardown; plus every console
// error and page error seen in any frame (CSP violations and messages the AppBridge
// refuses show up there) and every warning the MCP Apps SDK printed (a view that
// skips a step of the handshake gets one).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const hostPage = readFileSync(new URL("../browser/host.html", import.meta.url), "utf8");
const TIMEOUT = 15_000;

// The host script with the SDK in it, as a host ships it to the browser.
const bundle = await build({
  entryPoints: [new URL("../browser/host.js", import.meta.url).pathname],
  bundle: true,
  format: "iife",
  platform: "browser",
  write: false,
  logLevel: "error",
  nodePaths: [new URL("node_modules", import.meta.url).pathname],
});
const hostScript = bundle.outputFiles[0].text;

const profile = mkdtempSync(join(tmpdir(), "widget-chromium-"));
const errors = [];
const sdkWarnings = [];
const report = { scenarios: {}, errors, sdkWarnings };
// Without the background-networking flags chromium keeps dialling Google services,
// which this closed network refuses.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 560, height: 520 },
});
try {
  // Starts a page with the host, running the widget with `call` and `theme`.
  async function open(call, theme) {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
      if (m.type() === "warning" && /\[(ext-apps|MCP Apps)\]/.test(m.text())) sdkWarnings.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    await page.setContent(hostPage);
    await page.addScriptTag({ content: hostScript });
    await page.evaluate((args) => window.startHost(args), {
      html: input.html, theme, toolInput: call.arguments, toolResult: call.result,
    });
    return { page, widget: page.frameLocator("iframe") };
  }

  // What the user sees in the widget right now.
  async function observe(page, widget) {
    const body = widget.locator("body");
    const [text, colors, methods] = await Promise.all([
      body.innerText(),
      body.evaluate((el) => {
        const style = getComputedStyle(el);
        return { background: style.backgroundColor, color: style.color };
      }),
      page.evaluate(() => window.received.map((m) => m.method ?? `response ${m.id}`)),
    ]);
    return { text, ...colors, methods };
  }

  // Light theme, the successful call.
  {
    const { page, widget } = await open(input.call, "light");
    await widget.getByRole("heading", { name: "Berlin" }).waitFor({ timeout: TIMEOUT });
    await page.waitForFunction(
      () => window.received.some((m) => m.method === "ui/notifications/size-changed"),
      null, { timeout: TIMEOUT });
    report.scenarios.light = await observe(page, widget);
    report.scenarios.light.initialize = await page.evaluate(
      () => window.received.find((m) => m.method === "ui/initialize").params);
    await page.locator("iframe").screenshot({ path: join(input.screenshotDir, "light.png") });

    // The host switches to dark while the widget is shown.
    await page.evaluate(() => window.setTheme("dark"));
    await widget.locator("html[data-theme=dark]").waitFor({ state: "attached", timeout: TIMEOUT });
    report.scenarios.switchedToDark = await observe(page, widget);

    // The host is done with the view: the view answers before it is removed.
    report.scenarios.light.teardown = await page.evaluate(() => window.teardown());
    await page.close();
  }

  // Dark theme from the start.
  {
    const { page, widget } = await open(input.call, "dark");
    await widget.getByRole("heading", { name: "Berlin" }).waitFor({ timeout: TIMEOUT });
    report.scenarios.dark = await observe(page, widget);
    await page.locator("iframe").screenshot({ path: join(input.screenshotDir, "dark.png") });
    await page.close();
  }

  // A failed call: its text in an alert.
  {
    const { page, widget } = await open(input.errorCall, "light");
    await widget.getByRole("alert").waitFor({ timeout: TIMEOUT });
    report.scenarios.error = await observe(page, widget);
    report.scenarios.error.alert = await widget.getByRole("alert").innerText();
    await page.locator("iframe").screenshot({ path: join(input.screenshotDir, "error.png") });
    await page.close();
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
