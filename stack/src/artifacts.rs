//! How `cargo xtask test` and `cargo xtask bench` tell the test binaries where the built parts
//! are: environment variables naming them.

/// The built edge function (`index.js` + `index_bg.wasm`).
pub const ENV_WORKER_BUILD: &str = "FLOWPULSE_TEST_WORKER_BUILD";
/// The app server binary.
pub const ENV_APP_BIN: &str = "FLOWPULSE_TEST_APP_BIN";
/// The app's site dir.
pub const ENV_SITE_ROOT: &str = "FLOWPULSE_TEST_SITE_ROOT";
/// The `xtask` binary, for the test that runs `cargo xtask dev`.
pub const ENV_XTASK_BIN: &str = "FLOWPULSE_TEST_XTASK_BIN";
