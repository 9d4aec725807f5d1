//! Step 5: the `Host` and `X-Forwarded-Host` the platform forwarded to the handler, as
//! the hosting crate (rmcp-functions) reports them in its `GET /` answer. What the
//! handler's Host allow-list must accept; informational, it never fails.

use crate::{client::Answer, report::Step};

pub const STEP: Step = Step {
    number: 5,
    name: "host",
};

/// The step's detail, from step 1's answer.
pub fn seen(ready: &Answer) -> String {
    match hosts_seen(&ready.body) {
        Some((host, forwarded)) => {
            let name = host.rsplit_once(':').map_or(host.as_str(), |(n, _)| n);
            let note = if matches!(name, "127.0.0.1" | "localhost" | "[::1]") {
                " (loopback: always allowed)"
            } else {
                ""
            };
            format!("the handler saw Host: {host}{note}; X-Forwarded-Host: {forwarded}")
        }
        None => "not reported: the GET / answer has no Host line (the rmcp-functions hosting crate writes one; this server does not use it, or an older version)".to_owned(),
    }
}

/// Whether `GET /` was answered by a handler built on the hosting crate.
pub fn from_hosting_crate(ready_body: &str) -> bool {
    hosts_seen(ready_body).is_some()
}

/// `(Host, X-Forwarded-Host)` from the hosting crate's `GET /` answer
/// (crates/rmcp-functions/src/handler.rs, `ready`).
pub fn hosts_seen(body: &str) -> Option<(String, String)> {
    let line = body
        .lines()
        .find_map(|l| l.strip_prefix("This request arrived with Host: "))?;
    let (host, forwarded) = line.split_once("; X-Forwarded-Host: ")?;
    Some((host.to_owned(), forwarded.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_are_read_from_the_ready_answer() {
        let body = "MCP custom handler is running. MCP endpoint: /mcp\nThis request arrived with Host: 127.0.0.1:7071; X-Forwarded-Host: (none)\n";
        assert_eq!(
            hosts_seen(body),
            Some(("127.0.0.1:7071".to_owned(), "(none)".to_owned()))
        );
        assert_eq!(hosts_seen("MCP custom handler is running.\n"), None);
    }
}
