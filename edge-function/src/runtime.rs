//! Target differences the function needs: the n8n crate's timers, clock and deadlines, plus
//! operator logging.
//!
//! Logs are one JSON object per line (`{"level", "service", "message", ...fields}`), so
//! Cloudflare's log search and any log shipper can filter on fields instead of parsing text.
//! Callers must not pass secrets (tokens, API keys); error types in this crate never carry them.

use serde_json::{json, Map, Value};

pub use flowpulse_n8n::runtime::{jitter, now, now_ms, sleep, timeout, Deadline, Elapsed};

/// How bad a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something worth knowing.
    Info,
    /// Something went wrong.
    Error,
}

/// The log line for `message` with extra `fields`.
pub fn log_line(level: Level, message: &str, fields: &[(&str, Value)]) -> String {
    let mut line = Map::new();
    line.insert(
        "level".into(),
        json!(match level {
            Level::Info => "info",
            Level::Error => "error",
        }),
    );
    line.insert("service".into(), json!("workflow-sync"));
    line.insert("message".into(), json!(message));
    for (name, value) in fields {
        line.insert((*name).to_string(), value.clone());
    }
    Value::Object(line).to_string()
}

/// Logs a line: `console.log`/`console.error` in workerd, stdout/stderr natively.
pub fn log(level: Level, message: &str, fields: &[(&str, Value)]) {
    let line = log_line(level, message, fields);
    match level {
        #[cfg(target_arch = "wasm32")]
        Level::Info => worker::console_log!("{line}"),
        #[cfg(target_arch = "wasm32")]
        Level::Error => worker::console_error!("{line}"),
        #[cfg(not(target_arch = "wasm32"))]
        Level::Info => println!("{line}"),
        #[cfg(not(target_arch = "wasm32"))]
        Level::Error => eprintln!("{line}"),
    }
}

/// Logs an operator-facing error.
pub fn log_error(message: &str) {
    log(Level::Error, message, &[]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_is_one_json_object_with_its_fields() {
        let line = log_line(
            Level::Error,
            "provider p: boom",
            &[("provider_id", json!("p"))],
        );
        assert!(!line.contains('\n'));
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["level"], "error");
        assert_eq!(parsed["service"], "workflow-sync");
        assert_eq!(parsed["message"], "provider p: boom");
        assert_eq!(parsed["provider_id"], "p");
    }
}
