//! End-to-end tests, built into one test binary (faster to link than one per file).
//!
//! Third-party tools (the TypeScript and Python SDKs, Node 22, ...) are installed by
//! `scripts/test.sh`, which passes their paths in `MCP_TEST_*` variables. A test that
//! needs one fails with a message naming the command to run; none is skipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod binary;
mod body_budget;
mod completions;
mod confirmations;
mod conformance;
mod deploy;
mod docs_links;
mod example;
mod functions_files;
mod helpers;
mod http_edge_cases;
mod identity;
mod input_required_clients;
mod inspector;
mod open_files;
mod protocol;
mod proxy;
mod resources_and_prompts;
mod revisions;
mod scaffold;
mod sdk_clients;
mod smoke;
mod snippets;
mod snippets_azure;
mod snippets_contract;
mod snippets_private;
mod tool_list_bytes;
mod tool_table;
mod weather;
mod widget;
