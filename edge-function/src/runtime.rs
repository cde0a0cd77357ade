//! Target differences the function needs: the n8n crate's timers, clock and deadlines, plus
//! operator logging.

pub use flowpulse_n8n::runtime::{jitter, now, now_ms, sleep, timeout, Deadline, Elapsed};

/// Logs an operator-facing error: `console.error` in workerd, stderr natively. Callers must not
/// pass secrets (tokens, API keys); error types in this crate never carry them.
pub fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("workflow-sync: {message}");
}
