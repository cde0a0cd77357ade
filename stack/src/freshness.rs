//! "Is this output newer than everything it is made from?" — lets a restart of the stack skip
//! the steps cargo cannot skip for us (worker-build's bindgen/bundle, wasm-bindgen).

use std::path::Path;
use std::time::SystemTime;

/// The newest modification time of `path`, searching directories recursively.
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(std::result::Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .max()
}

/// True when `output` exists and is newer than every file under `inputs`.
pub fn is_fresh(output: &Path, inputs: &[&Path]) -> bool {
    let Some(built) = std::fs::metadata(output).and_then(|m| m.modified()).ok() else {
        return false;
    };
    inputs
        .iter()
        .all(|input| newest(input).is_none_or(|changed| changed <= built))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_older_than_any_input_is_stale() {
        let dir = std::env::temp_dir().join(format!("fp-fresh-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/lib.rs"), "a").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("out"), "built").unwrap();
        assert!(is_fresh(&dir.join("out"), &[&dir.join("src")]));
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("src/lib.rs"), "b").unwrap();
        assert!(!is_fresh(&dir.join("out"), &[&dir.join("src")]));
        assert!(!is_fresh(&dir.join("missing"), &[&dir.join("src")]));
    }
}
