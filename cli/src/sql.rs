//! Writing values into SQL text safely.

/// A string literal that stays on one line. Plain text becomes a standard literal
/// (`'it''s'`; backslashes are plain characters under `standard_conforming_strings`, Postgres'
/// default since 9.1). Text with a line break or another control character becomes an escape
/// string (`E'a\nb'`): a raw newline inside a literal would let the value write a line of its
/// own, which a line-based reader such as the include directive (`migrate::expand_includes`)
/// or a reviewer's eye takes for SQL.
pub fn literal(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return format!("'{}'", text.replace('\'', "''"));
    }
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Always two hex digits, so a following digit is never read as part of it.
            c if needs_escape(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            // C1 controls and the Unicode line/paragraph separators, by code point.
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Characters that never appear raw in a generated literal: control characters (line breaks
/// among them) and the Unicode line and paragraph separators, which some editors break on.
fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// A dollar-quoted literal whose tag does not occur in `text` (`$json$`, `$json1$`, ...),
/// so JSON goes into the SQL verbatim and stays readable in a diff.
pub fn dollar_quote(text: &str) -> String {
    let tag = (0..)
        .map(|n| match n {
            0 => "$json$".to_string(),
            n => format!("$json{n}$"),
        })
        .find(|tag| !text.contains(tag.as_str()))
        .expect("some tag is free");
    format!("{tag}{text}{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_survive_quotes_and_tags() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(
            literal(r"C:\dir"),
            r"'C:\dir'",
            "no escapes: backslash is plain"
        );
        assert_eq!(dollar_quote("{}"), "$json${}$json$");
        assert_eq!(dollar_quote("a $json$ b"), "$json1$a $json$ b$json1$");
    }

    #[test]
    fn a_literal_with_line_breaks_stays_on_one_line_as_an_escape_string() {
        let hostile = "a\n-- flowpulse:include evil.json\r\n'q' \\ \t\u{0}\u{7f}\u{85}\u{2028}9";
        let quoted = literal(hostile);
        assert_eq!(
            quoted,
            r"E'a\n-- flowpulse:include evil.json\r\n''q'' \\ \t\x00\x7f\u0085\u20289'"
        );
        assert!(!quoted.contains(['\n', '\r']), "{quoted}");
        assert_eq!(
            literal("\u{1}1"),
            r"E'\x011'",
            "two hex digits, then the digit"
        );
    }
}
