//! Writing values into SQL text safely.

/// A standard SQL string literal (`'it''s'`); backslashes are plain characters under
/// `standard_conforming_strings`, Postgres' default since 9.1.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
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
        assert_eq!(dollar_quote("{}"), "$json${}$json$");
        assert_eq!(dollar_quote("a $json$ b"), "$json1$a $json$ b$json1$");
    }
}
