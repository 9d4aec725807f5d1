//! The binary raises its soft open-files limit to the hard limit at start-up: each call
//! in flight holds two descriptors, and a low soft limit (Linux's usual 1,024) fails
//! calls long before memory or CPU run out.

use std::os::unix::fs::PermissionsExt;

use crate::helpers::{Handler, handler_path};

/// The hard limit on open files of this process (the child inherits it).
fn hard_limit() -> u64 {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    let hard = line.split_whitespace().nth(4).unwrap();
    hard.parse()
        .unwrap_or_else(|_| panic!("hard limit {hard:?} is not a number"))
}

/// The handler, started by a shell that sets its soft open-files limit to `soft`
/// and then becomes the handler.
fn handler_with_soft_limit(soft: u64) -> Handler {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("soft-limit.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nulimit -Sn {soft} || exit 1\nexec '{}'\n",
            handler_path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    Handler::start_binary(&script, dir, &[])
}

#[test]
fn a_low_soft_limit_is_raised_to_the_hard_limit_and_logged() {
    let hard = hard_limit();
    assert!(
        hard > 256,
        "the test needs a hard limit above 256, not {hard}"
    );
    let mut handler = handler_with_soft_limit(256);
    let line = handler.wait_for_output("open files:");
    assert!(
        line.contains(&format!(
            "open files: limit raised from 256 to {hard} (the hard limit)"
        )),
        "{line}"
    );
    assert_eq!(
        handler
            .output()
            .iter()
            .filter(|l| l.contains("open files:"))
            .count(),
        1
    );
}

#[test]
fn a_soft_limit_already_at_the_hard_limit_is_logged_as_it_is() {
    let hard = hard_limit();
    let mut handler = handler_with_soft_limit(hard);
    let line = handler.wait_for_output("open files:");
    assert!(
        line.contains(&format!("open files: limit {hard} (the hard limit)")),
        "{line}"
    );
}
