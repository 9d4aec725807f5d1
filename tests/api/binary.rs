//! The built binary, started as the Functions host starts it.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{
    Mock,
    matchers::{method, path},
};

use crate::helpers::{ACCEPT, Handler, Upstreams, answer, run_handler_to_exit, wait_until};

/// POSTs a ping, optionally with another `Host` header, and returns the status.
fn ping_status(url: &str, host: Option<&str>) -> u16 {
    let mut request = mcp_post(url);
    if let Some(host) = host {
        request = request.header("host", host);
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    blocking(request.json(&body).send())
        .unwrap()
        .status()
        .as_u16()
}

fn mcp_post(url: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
}

fn blocking<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn answers_readiness_and_mcp_with_only_the_port_set() {
    let handler = Handler::start(&[]);
    let ready = blocking(reqwest::get(handler.url("/"))).unwrap();
    assert_eq!(ready.status(), 200);

    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "host-test", "version": "0"}}});
    let response = blocking(mcp_post(&handler.url("/mcp")).json(&initialize).send()).unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = blocking(response.json()).unwrap();
    assert_eq!(body["result"]["serverInfo"]["name"], "rust-mcp-functions");
}

#[test]
fn the_public_host_is_refused_until_website_hostname_names_it() {
    let plain = Handler::start(&[]);
    assert_eq!(
        ping_status(&plain.url("/mcp"), Some("myapp.azurewebsites.net")),
        403
    );
    assert_eq!(
        ping_status(&plain.url("/mcp"), Some("evil.example.com")),
        403
    );
    assert_eq!(ping_status(&plain.url("/mcp"), None), 200);

    let on_azure = Handler::start(&[("WEBSITE_HOSTNAME", "myapp.azurewebsites.net")]);
    assert_eq!(
        ping_status(&on_azure.url("/mcp"), Some("myapp.azurewebsites.net")),
        200
    );
    assert_eq!(
        ping_status(&on_azure.url("/mcp"), Some("evil.example.com")),
        403
    );
}

#[test]
fn get_on_mcp_is_405() {
    let handler = Handler::start(&[]);
    let response = blocking(
        reqwest::Client::new()
            .get(handler.url("/mcp"))
            .header("accept", "text/event-stream")
            .send(),
    )
    .unwrap();
    assert_eq!(response.status(), 405);
}

#[test]
fn a_bad_port_value_exits_non_zero_naming_the_variable() {
    let (status, output) = run_handler_to_exit(&[("FUNCTIONS_CUSTOMHANDLER_PORT", "not-a-port")]);
    assert!(!status.success());
    assert!(output.contains("FUNCTIONS_CUSTOMHANDLER_PORT"), "{output}");
    assert!(output.contains("not-a-port"), "{output}");
    assert_eq!(output.trim().lines().count(), 1, "one clear line: {output}");
}

#[test]
fn a_port_in_use_exits_non_zero_naming_the_variable() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (status, output) = run_handler_to_exit(&[("FUNCTIONS_CUSTOMHANDLER_PORT", &port)]);
    assert!(!status.success());
    assert!(
        output.contains(&format!("FUNCTIONS_CUSTOMHANDLER_PORT={port}")),
        "{output}"
    );
    assert!(
        output.to_lowercase().contains("address already in use"),
        "{output}"
    );
}

#[test]
fn sigterm_exits_zero() {
    let mut handler = Handler::start(&[]);
    let status = handler.terminate();
    assert!(status.success(), "{status}: {:#?}", handler.output());
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    use std::io::{BufRead, BufReader, Write};
    let mut handler = Handler::start(&[]);
    let body = r#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#;
    let mut stream = std::net::TcpStream::connect(handler.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Headers only: `100 Continue` comes back once the server is reading this
    // request's body, so the request is in flight when SIGTERM arrives.
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: {ACCEPT}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line}");
    reader.read_line(&mut line).unwrap();

    handler.signal_terminate();
    handler.wait_for_output("shutting down");
    stream.write_all(body.as_bytes()).unwrap();
    let response: Vec<String> = reader.lines().map_while(Result::ok).collect();
    assert!(response[0].starts_with("HTTP/1.1 200"), "{response:?}");
    assert!(
        response.iter().any(|l| l.contains(r#""id":9"#)),
        "{response:?}"
    );
    assert!(handler.wait_for_exit().success());
}

#[test]
fn json_logs_carry_the_invocation_id_and_never_secrets() {
    let mut handler = Handler::start(&[("LOG_FORMAT", "json")]);
    let response = blocking(
        mcp_post(&handler.url("/mcp?code=query-secret-123"))
            .header("x-functions-key", "key-secret-456")
            .header("authorization", "Bearer token-secret-789")
            .header("cookie", "session=cookie-secret-000")
            .header("x-azure-functions-invocationid", "inv-42")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
            .send(),
    )
    .unwrap();
    assert_eq!(response.status(), 200);
    handler.wait_for_output("inv-42");

    let output = handler.output();
    let request_line: Value = output
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["invocation_id"] == "inv-42")
        .unwrap_or_else(|| panic!("no request line with the invocation id: {output:#?}"));
    assert_eq!(request_line["method"], "POST");
    assert_eq!(request_line["path"], "/mcp");
    assert_eq!(request_line["status"], 200);
    assert_eq!(request_line["mcp_method"], "tools/list");
    assert!(request_line["latency_ms"].is_number(), "{request_line}");
    assert_no_secret_in(
        &output,
        &[
            "query-secret-123",
            "key-secret-456",
            "token-secret-789",
            "cookie-secret-000",
        ],
    );
}

#[test]
fn the_first_request_logs_the_host_it_arrived_with_once() {
    let handler = Handler::start(&[]);
    for _ in 0..2 {
        let response = blocking(
            mcp_post(&handler.url("/mcp"))
                .header("x-forwarded-host", "myapp.azurewebsites.net")
                .header("x-forwarded-proto", "https")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
                .send(),
        )
        .unwrap();
        assert_eq!(response.status(), 200);
    }
    // Each request is logged before its answer is sent; this waits for the thread
    // that reads the output.
    let output = wait_until(Duration::from_secs(10), "two request lines", || {
        let output = handler.output();
        (output.iter().filter(|l| l.contains("POST")).count() >= 2).then_some(output)
    });
    let lines: Vec<&String> = output
        .iter()
        .filter(|l| l.contains("first request"))
        .collect();
    assert_eq!(lines.len(), 1, "{output:#?}");
    let line = lines[0];
    assert!(
        line.contains(&format!("host=\"{}\"", handler.addr)),
        "{line}"
    );
    assert!(line.contains("myapp.azurewebsites.net"), "{line}");
    assert!(line.contains("https"), "{line}");
}

/// A tool's own log lines (here the weather client's warning before it retries)
/// carry the host's invocation id and the trace id of the request's `traceparent`, so one failing call can be followed through the
/// logs; and, as in the request line, no other header value is written.
#[tokio::test(flavor = "multi_thread")]
async fn a_tool_warning_carries_the_invocation_id_and_no_other_header() {
    const INVOCATION_ID: &str = "inv-7f3c2a91-retry";
    let upstreams = Upstreams::start().await;
    upstreams.mount_happy_paths().await;
    // The recorded NWS 500, once, ahead of the happy path's answer: the client warns
    // "upstream request failed", retries, and the call succeeds.
    Mock::given(method("GET"))
        .and(path("/points/41.978,-91.67"))
        .respond_with(answer(500, "nws-error-500-unexpected.json"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&upstreams.nws)
        .await;
    let vars = upstreams.vars();
    let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend([("LOG_FORMAT", "json"), ("WEATHER_TIMEOUT_SECONDS", "5")]);
    let mut handler = Handler::start(&env);

    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "get_forecast", "arguments": {"latitude": 41.978, "longitude": -91.67}}});
    let response = mcp_post(&handler.url("/mcp?code=query-secret-123"))
        .header("x-azure-functions-invocationid", INVOCATION_ID)
        .header("traceparent", TRACEPARENT)
        .header("x-functions-key", "key-secret-456")
        .header("authorization", "Bearer token-secret-789")
        .header("cookie", "session=cookie-secret-000")
        .header("x-ms-client-principal-name", "principal-secret-111")
        .header("user-agent", "agent-secret-222")
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_ne!(body["result"]["isError"], true, "{body}");
    assert_eq!(
        body["result"]["structuredContent"]["location"], "Cedar Rapids, IA",
        "the retry succeeded: {body}"
    );
    // The request line is written after the answer: wait for it, so every line of
    // this call is in the output before it is searched.
    handler.wait_for_output(r#""message":"request""#);

    let output = handler.output();
    let lines: Vec<Value> = output
        .iter()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let warning = lines
        .iter()
        .find(|line| {
            line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("upstream request failed"))
        })
        .unwrap_or_else(|| panic!("no upstream warning: {output:#?}"));
    assert_eq!(warning["level"], "WARN", "{warning}");
    assert_eq!(warning["retrying"], true, "{warning}");
    assert_eq!(
        warning["span"]["invocation_id"], INVOCATION_ID,
        "the warning is not in the tool call's span: {warning}"
    );
    assert_eq!(warning["span"]["tool"], "get_forecast", "{warning}");
    assert_eq!(
        warning["span"]["trace_id"], TRACE_ID,
        "the warning does not carry the trace id: {warning}"
    );
    let request_line = lines
        .iter()
        .find(|line| line["message"] == "request")
        .unwrap_or_else(|| panic!("no request line: {output:#?}"));
    assert_eq!(request_line["invocation_id"], INVOCATION_ID);
    assert_eq!(request_line["tool"], "get_forecast");
    assert_eq!(request_line["trace_id"], TRACE_ID);

    assert_no_secret_in(
        &output,
        &[
            "query-secret-123",
            "key-secret-456",
            "token-secret-789",
            "cookie-secret-000",
            "principal-secret-111",
            "agent-secret-222",
        ],
    );
}

/// None of `secrets` appears in any line the process wrote.
fn assert_no_secret_in(output: &[String], secrets: &[&str]) {
    let all = output.join("\n");
    for secret in secrets {
        assert!(
            !all.contains(secret),
            "{secret} leaked into the logs:\n{all}"
        );
    }
}

/// What a caller chooses (a method, tool name, resource URI, snippet name, and the
/// headers rmcp names when it refuses them) can be 100 KB long; no line the process
/// writes is longer than 4 KB, in either format, and the request line keeps the first
/// `MAX_LOGGED_VALUE_BYTES` of the tool name with a marker.
#[test]
fn no_log_line_is_longer_than_4_kb_whatever_the_request() {
    for format in ["text", "json"] {
        let mut handler = Handler::start(&[("LOG_FORMAT", format)]);
        let sent = send_long_values(&handler);
        let request_lines = |output: &[String]| {
            output
                .iter()
                .filter(|l| {
                    l.contains(r#""message":"request""#)
                        || l.contains("rmcp_functions::logging: request ")
                })
                .count()
        };
        wait_until(Duration::from_secs(10), "every request line", || {
            (request_lines(&handler.output()) >= sent).then_some(())
        });
        handler.terminate();

        let output = handler.output();
        for line in &output {
            assert!(
                line.len() < rmcp_functions::MAX_LOG_LINE_BYTES,
                "{format}: a line of {} bytes: {}…",
                line.len(),
                line.chars().take(200).collect::<String>()
            );
            if format == "json" {
                serde_json::from_str::<Value>(line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            }
        }
        let clipped = format!(
            "{}…[{} bytes cut]",
            "t".repeat(rmcp_functions::MAX_LOGGED_VALUE_BYTES),
            LONG - rmcp_functions::MAX_LOGGED_VALUE_BYTES
        );
        let tool_field = if format == "json" {
            format!(r#""tool":"{clipped}""#)
        } else {
            format!(r#"tool="{clipped}""#)
        };
        assert!(
            output.iter().any(|line| line.contains(&tool_field)),
            "{format}: no request line with the tool name cut: {output:#?}"
        );
    }
}

/// The length of each long value.
const LONG: usize = 100_000;

/// Sends requests that each carry a [`LONG`] value somewhere a log line might take it
/// from; returns how many were sent.
fn send_long_values(handler: &Handler) -> usize {
    let long = |c: &str| c.repeat(LONG);
    let call = |name: &str, arguments: Value| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": name, "arguments": arguments}})
    };
    let bodies = [
        json!({"jsonrpc": "2.0", "id": 1, "method": long("m")}),
        call(&long("t"), json!({})),
        call(
            "save_snippet",
            json!({"snippetname": long("n"), "snippet": "x"}),
        ),
        call("get_snippet", json!({"snippetname": long("n")})),
        json!({"jsonrpc": "2.0", "id": 1, "method": "resources/read",
               "params": {"uri": format!("snippet:///{}", long("u"))}}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "resources/read",
               "params": {"uri": long("u")}}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "prompts/get",
               "params": {"name": "use_snippet", "arguments": {"name": long("n")}}}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": long("v"), "capabilities": {},
            "clientInfo": {"name": long("c"), "version": "0"}}}),
    ];
    let mut sent = 0;
    for body in &bodies {
        let response = blocking(mcp_post(&handler.url("/mcp")).json(body).send()).unwrap();
        assert!(response.status().as_u16() < 500, "{}", response.status());
        sent += 1;
    }
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let headers = [
        ("host", long("h")),
        ("origin", format!("https://{}", long("o"))),
        ("x-azure-functions-invocationid", long("i")),
        ("traceparent", long("0")),
        ("mcp-protocol-version", long("p")),
    ];
    for (name, value) in headers {
        let response = blocking(
            mcp_post(&handler.url("/mcp"))
                .header(name, value)
                .json(&ping)
                .send(),
        )
        .unwrap();
        assert!(
            response.status().as_u16() < 500,
            "{name}: {}",
            response.status()
        );
        sent += 1;
    }
    let long_path = handler.url(&format!("/{}", "p".repeat(60_000)));
    let response = blocking(mcp_post(&long_path).json(&ping).send()).unwrap();
    assert_eq!(response.status(), 404);
    sent + 1
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A request with a valid `traceparent` has its trace id on its text request line; one
/// with an invalid one (upper-case hex, which W3C Trace Context forbids) has none.
#[test]
fn text_request_lines_carry_the_trace_id_of_a_valid_traceparent_only() {
    let handler = Handler::start(&[]);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    for (invocation, traceparent) in [
        ("inv-valid", TRACEPARENT.to_owned()),
        ("inv-invalid", TRACEPARENT.to_uppercase()),
    ] {
        let response = blocking(
            mcp_post(&handler.url("/mcp"))
                .header("x-azure-functions-invocationid", invocation)
                .header("traceparent", traceparent)
                .json(&ping)
                .send(),
        )
        .unwrap();
        assert_eq!(response.status(), 200);
    }
    let line_of = |invocation: &str| {
        wait_until(Duration::from_secs(10), invocation, || {
            handler
                .output()
                .into_iter()
                .find(|l| l.contains(&format!(r#"invocation_id="{invocation}""#)))
        })
    };
    let valid = line_of("inv-valid");
    assert!(
        valid.contains(&format!(r#"trace_id="{TRACE_ID}""#)),
        "{valid}"
    );
    let invalid = line_of("inv-invalid");
    assert!(!invalid.contains("trace_id"), "{invalid}");
}
