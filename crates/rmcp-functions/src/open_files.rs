//! The process's limit on open files, raised to what the system allows.
//!
//! Every call in flight holds two descriptors (the caller's connection and one to the
//! upstream), so the soft limit bounds the calls an instance can hold: with Linux's
//! usual 1,024, about 500 (bench/concurrency.sh measured 600 in flight failing with a
//! misleading "upstream not available" error). The soft limit is only a default; a
//! process may raise it up to the hard limit, which is what this does at start-up.

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and logs the result, once.
#[cfg(unix)]
pub(crate) fn raise_limit() {
    use rlimit::Resource;

    let (soft, hard) = match Resource::NOFILE.get() {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!("open files: cannot read the limit: {e}");
            return;
        }
    };
    if soft >= hard {
        tracing::info!("open files: limit {soft} (the hard limit)");
        return;
    }
    // On macOS the kernel's own per-process maximum can be below the hard limit;
    // `increase_nofile_limit` stops there. On Linux it sets the hard limit.
    match rlimit::increase_nofile_limit(hard) {
        Ok(raised) if raised == hard => {
            tracing::info!("open files: limit raised from {soft} to {raised} (the hard limit)");
        }
        Ok(raised) => tracing::info!(
            "open files: limit raised from {soft} to {raised} (the system's maximum; the hard limit is {hard})"
        ),
        Err(e) => tracing::warn!(
            "open files: limit {soft}; cannot raise it to the hard limit {hard}: {e}"
        ),
    }
}

#[cfg(not(unix))]
pub(crate) fn raise_limit() {}
