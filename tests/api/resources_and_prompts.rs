//! Saved snippets as MCP resources (`snippet:///{name}`, listed after the widget and
//! paged), the prompts (`use_snippet`, `weather_briefing`), and the cache hints every
//! list and read carries (SEP-2549).

use serde_json::{Value, json};

use crate::helpers::{
    ACCEPT, Handler, TestApp,
    identity::{ALICE, BOB},
};

async fn rpc(app: &TestApp, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    app.post(&body).await.json().await.unwrap()
}

async fn save(app: &TestApp, name: &str, text: &str) {
    let saved = rpc(
        app,
        "tools/call",
        json!({"name": "save_snippet", "arguments": {"snippetname": name, "snippet": text}}),
    )
    .await;
    assert_eq!(saved["result"]["isError"], false, "{saved}");
}

#[tokio::test]
async fn snippets_are_resources_listed_after_the_widget_and_read_by_uri() {
    let app = TestApp::spawn().await;
    save(&app, "build.py", "print('hi')\n").await;
    save(&app, "notes", "plain").await;

    let list = rpc(&app, "resources/list", json!({})).await;
    let resources = list["result"]["resources"].as_array().unwrap();
    let uris: Vec<&str> = resources
        .iter()
        .map(|r| r["uri"].as_str().unwrap())
        .collect();
    assert_eq!(
        uris,
        [
            "ui://weather/index.html",
            "snippet:///build.py",
            "snippet:///notes"
        ]
    );
    assert_eq!(resources[1]["mimeType"], "text/x-python");
    assert_eq!(resources[1]["size"], 12);
    assert_eq!(resources[2]["mimeType"], "text/plain");
    assert!(list["result"].get("nextCursor").is_none(), "{list}");

    let read = rpc(
        &app,
        "resources/read",
        json!({"uri": "snippet:///build.py"}),
    )
    .await;
    let contents = &read["result"]["contents"][0];
    assert_eq!(contents["text"], "print('hi')\n", "{read}");
    assert_eq!(contents["mimeType"], "text/x-python");

    for missing in [
        "snippet:///nope",
        "snippet:///../etc/passwd",
        "file:///etc/passwd",
    ] {
        let error = rpc(&app, "resources/read", json!({"uri": missing})).await;
        assert_eq!(error["error"]["code"], -32002, "{error}");
        assert_eq!(error["error"]["data"]["uri"], missing, "{error}");
    }

    let templates = rpc(&app, "resources/templates/list", json!({})).await;
    assert_eq!(
        templates["result"]["resourceTemplates"][0]["uriTemplate"], "snippet:///{name}",
        "{templates}"
    );
}

#[tokio::test]
async fn the_resource_list_pages_through_every_snippet() {
    let app = TestApp::spawn().await;
    for i in 0..150 {
        save(&app, &format!("s{i:03}"), "x").await;
    }
    let first = rpc(&app, "resources/list", json!({})).await;
    let page = first["result"]["resources"].as_array().unwrap();
    assert_eq!(page.len(), 101, "the widget and 100 snippets");
    let cursor = first["result"]["nextCursor"].as_str().unwrap().to_owned();
    let second = rpc(&app, "resources/list", json!({"cursor": cursor})).await;
    let page = second["result"]["resources"].as_array().unwrap();
    assert_eq!(page.len(), 50, "{second}");
    assert_eq!(page[0]["uri"], "snippet:///s100");
    assert!(second["result"].get("nextCursor").is_none(), "{second}");

    let bad = rpc(&app, "resources/list", json!({"cursor": "../x"})).await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
}

#[tokio::test]
async fn every_list_and_read_says_how_long_it_may_be_reused() {
    let app = TestApp::spawn().await;
    save(&app, "notes", "plain").await;
    let hour = json!({"ttlMs": 3_600_000, "cacheScope": "public"});
    let moment = json!({"ttlMs": 5_000, "cacheScope": "private"});
    for (method, params, expected) in [
        ("tools/list", json!({}), &hour),
        ("prompts/list", json!({}), &hour),
        ("resources/templates/list", json!({}), &hour),
        (
            "resources/read",
            json!({"uri": "ui://weather/index.html"}),
            &hour,
        ),
        ("resources/list", json!({}), &moment),
        (
            "resources/read",
            json!({"uri": "snippet:///notes"}),
            &moment,
        ),
    ] {
        let result = &rpc(&app, method, params).await["result"];
        let hints = json!({"ttlMs": result["ttlMs"], "cacheScope": result["cacheScope"]});
        assert_eq!(&hints, expected, "{method}");
    }
}

#[tokio::test]
async fn use_snippet_puts_a_snippet_into_the_conversation() {
    let app = TestApp::spawn().await;
    save(&app, "query.sql", "select 1;").await;
    let listed = rpc(&app, "prompts/list", json!({})).await;
    let names: Vec<&str> = listed["result"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["use_snippet", "weather_briefing"]);

    let prompt = rpc(
        &app,
        "prompts/get",
        json!({"name": "use_snippet", "arguments": {"name": "query.sql"}}),
    )
    .await;
    let messages = prompt["result"]["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["content"]["text"],
        "Here is my saved snippet \"query.sql\":"
    );
    let embedded = &messages[1]["content"];
    assert_eq!(embedded["type"], "resource", "{prompt}");
    assert_eq!(embedded["resource"]["uri"], "snippet:///query.sql");
    assert_eq!(embedded["resource"]["mimeType"], "application/sql");
    assert_eq!(embedded["resource"]["text"], "select 1;");

    let missing = rpc(
        &app,
        "prompts/get",
        json!({"name": "use_snippet", "arguments": {"name": "nope"}}),
    )
    .await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No snippet named \"nope\""),
        "{missing}"
    );
}

#[tokio::test]
async fn weather_briefing_puts_the_weather_tools_to_work() {
    let app = TestApp::spawn().await;
    let prompt = rpc(
        &app,
        "prompts/get",
        json!({"name": "weather_briefing", "arguments": {"location": "Seattle"}}),
    )
    .await;
    let text = prompt["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    for expected in ["Seattle", "get_weather", "get_alerts", "get_forecast"] {
        assert!(text.contains(expected), "{text}");
    }
    let empty = rpc(
        &app,
        "prompts/get",
        json!({"name": "weather_briefing", "arguments": {"location": " "}}),
    )
    .await;
    assert_eq!(empty["error"]["code"], -32602, "{empty}");
}

/// Private snippets stay private through resources and prompts too.
#[tokio::test(flavor = "multi_thread")]
async fn resources_and_prompts_show_each_user_their_own_snippets() {
    let handler = Handler::start(&[("WEBSITE_AUTH_ENABLED", "True"), ("SNIPPETS_SCOPE", "user")]);
    let http = reqwest::Client::new();
    let post = |headers: Vec<(&'static str, String)>, method: &'static str, params: Value| {
        let mut request = http
            .post(handler.url("/mcp"))
            .header("content-type", "application/json")
            .header("accept", ACCEPT)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let save =
        json!({"name": "save_snippet", "arguments": {"snippetname": "alices", "snippet": "hers"}});
    let saved = post(ALICE.headers(), "tools/call", save).await;
    assert_eq!(saved["result"]["isError"], false, "{saved}");

    let uris = |list: &Value| -> Vec<String> {
        list["result"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uri"].as_str().unwrap().to_owned())
            .collect()
    };
    let alices = post(ALICE.headers(), "resources/list", json!({})).await;
    assert_eq!(
        uris(&alices),
        ["ui://weather/index.html", "snippet:///alices"]
    );
    let bobs = post(BOB.headers(), "resources/list", json!({})).await;
    assert_eq!(uris(&bobs), ["ui://weather/index.html"]);
    let nobody = post(vec![], "resources/list", json!({})).await;
    assert_eq!(uris(&nobody), ["ui://weather/index.html"]);

    let read = json!({"uri": "snippet:///alices"});
    let by_bob = post(BOB.headers(), "resources/read", read.clone()).await;
    assert_eq!(by_bob["error"]["code"], -32002, "{by_bob}");
    let by_nobody = post(vec![], "resources/read", read.clone()).await;
    assert_eq!(by_nobody["error"]["code"], -32600, "{by_nobody}");
    assert!(
        by_nobody["error"]["message"]
            .as_str()
            .unwrap()
            .contains("private to each signed-in user"),
        "{by_nobody}"
    );
    let by_alice = post(ALICE.headers(), "resources/read", read).await;
    assert_eq!(by_alice["result"]["contents"][0]["text"], "hers");

    let prompt = json!({"name": "use_snippet", "arguments": {"name": "alices"}});
    let by_bob = post(BOB.headers(), "prompts/get", prompt.clone()).await;
    assert_eq!(by_bob["error"]["code"], -32602, "{by_bob}");
    let by_nobody = post(vec![], "prompts/get", prompt.clone()).await;
    assert_eq!(by_nobody["error"]["code"], -32600, "{by_nobody}");
    let by_alice = post(ALICE.headers(), "prompts/get", prompt).await;
    assert_eq!(
        by_alice["result"]["messages"][1]["content"]["resource"]["text"],
        "hers"
    );
}
