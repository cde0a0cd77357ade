//! Small text helpers shared by the edges.

/// At most 200 characters of `text`, cut on a character boundary, with `...` when cut: for
/// messages that quote something of unbounded length.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(shorten("short"), "short");
        let long = "é".repeat(250);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), 203);
        assert!(cut.ends_with("..."));
    }
}
