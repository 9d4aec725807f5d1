//! How the property tests of the decoders of untrusted input run: a few cases each
//! in `cargo test`, so the suite stays quick, and as many as `PROPTEST_CASES` asks
//! for in a long run (e.g. `PROPTEST_CASES=100000 cargo test --lib fuzz_`).
//!
//! Every property is a unit test named `fuzz_…`, next to the decoder it exercises.
//! A failing case is shrunk, and proptest writes its seed to `proptest-regressions/`
//! beside the source file: commit that file with the fix, so the case is replayed
//! by every later run.

use proptest::test_runner::Config;

/// Cases per property in an ordinary `cargo test`.
const CASES: u32 = 64;

/// [`CASES`], unless `PROPTEST_CASES` is set.
pub(crate) fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = CASES;
    }
    config
}
