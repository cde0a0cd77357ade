//! A chat message as clauses of tokens.
//!
//! Quoted texts (`'…'`, `"…"`, `“…”`, `‘…’`), code in backticks, JSON in braces and groups in
//! parentheses are kept whole as literals first, so their commas, "and"s and full stops never
//! split anything. The rest splits into clauses at `,` `;` sentence ends, "then", "after that",
//! and at an "and" that starts a new action ("… to Slack and email ops@…").

/// Something kept exactly as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Literal {
    /// In quotes.
    Quoted(String),
    /// In backticks.
    Code(String),
    /// In braces: JSON (with `{{ }}` placeholders inside strings).
    Json(String),
    /// In parentheses, e.g. a column list.
    Group(String),
}

/// One word or literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// As typed, without surrounding punctuation.
    pub raw: String,
    /// Lower case, for matching; empty for literals.
    pub word: String,
    /// The literal, if this token is one.
    pub literal: Option<Literal>,
    /// Followed by a colon (“Slack #sales: New order”): what follows is a text.
    pub colon: bool,
}

impl Token {
    fn word(raw: &str, colon: bool) -> Token {
        // `<ops@x.com>` loses its brackets; a lone `>` or `<=` is a comparison and stays.
        let raw = match raw.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            Some(inner) if !inner.is_empty() => inner,
            _ => raw,
        };
        let raw = raw
            .trim_start_matches(['(', '['])
            .trim_end_matches([')', ']', ':', '!', '?', '"', '”']);
        Token {
            raw: raw.to_string(),
            word: raw.to_lowercase(),
            literal: None,
            colon,
        }
    }

    fn literal(literal: Literal) -> Token {
        let raw = match &literal {
            Literal::Quoted(t) | Literal::Code(t) | Literal::Json(t) | Literal::Group(t) => {
                t.clone()
            }
        };
        Token {
            raw,
            word: String::new(),
            literal: Some(literal),
            colon: false,
        }
    }

    /// This word (never a literal).
    pub fn is(&self, word: &str) -> bool {
        self.literal.is_none() && self.word == word
    }

    /// One of these words.
    pub fn is_any(&self, words: &[&str]) -> bool {
        self.literal.is_none() && words.contains(&self.word.as_str())
    }

    /// A quoted text.
    pub fn quoted(&self) -> Option<&str> {
        match &self.literal {
            Some(Literal::Quoted(text)) => Some(text),
            _ => None,
        }
    }
}

/// Words that start an action: an "and" before one of them starts a new clause.
pub(super) const ACTION_WORDS: &[&str] = &[
    "post",
    "send",
    "email",
    "e-mail",
    "mail",
    "notify",
    "message",
    "tell",
    "alert",
    "ping",
    "answer",
    "respond",
    "reply",
    "call",
    "fetch",
    "request",
    "hit",
    "keep",
    "set",
    "add",
    "filter",
    "only",
    "if",
    "otherwise",
    "else",
    "run",
    "execute",
    "wait",
    "pause",
    "sleep",
    "delay",
    "insert",
    "save",
    "store",
    "write",
    "also",
    "then",
    "forward",
    "get",
    "put",
    "patch",
    "delete",
    "log",
];

/// A run of tokens that says one thing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Clause {
    /// The tokens.
    pub tokens: Vec<Token>,
}

impl Clause {
    /// Index of the first token that is `word`.
    pub fn find(&self, word: &str) -> Option<usize> {
        self.tokens.iter().position(|t| t.is(word))
    }

    /// Index of the first token that is one of `words`.
    pub fn find_any(&self, words: &[&str]) -> Option<usize> {
        self.tokens.iter().position(|t| t.is_any(words))
    }

    /// Whether some token is `word`.
    pub fn has(&self, word: &str) -> bool {
        self.find(word).is_some()
    }

    /// Whether some token is one of `words`.
    pub fn has_any(&self, words: &[&str]) -> bool {
        self.find_any(words).is_some()
    }

    /// Whether the tokens from `at` read `words`.
    pub fn reads_at(&self, at: usize, words: &[&str]) -> bool {
        words.len() + at <= self.tokens.len()
            && words.iter().zip(&self.tokens[at..]).all(|(w, t)| t.is(w))
    }

    /// Index of the first place the tokens read `words`.
    pub fn find_phrase(&self, words: &[&str]) -> Option<usize> {
        (0..self.tokens.len()).find(|&at| self.reads_at(at, words))
    }

    /// The first quoted text.
    pub fn quoted(&self) -> Option<&str> {
        self.tokens.iter().find_map(Token::quoted)
    }

    /// The first literal of a kind.
    pub fn literal(&self, pick: fn(&Literal) -> Option<&str>) -> Option<&str> {
        self.tokens
            .iter()
            .find_map(|t| t.literal.as_ref().and_then(pick))
    }

    /// The raw text after the first token followed by a colon, if any.
    pub fn after_colon(&self) -> Option<String> {
        let at = self.tokens.iter().position(|t| t.colon)?;
        let rest = Clause {
            tokens: self.tokens[at + 1..].to_vec(),
        };
        let text = rest.text();
        (!text.is_empty()).then_some(text)
    }

    /// The tokens from `start`, as a clause.
    pub fn from(&self, start: usize) -> Clause {
        Clause {
            tokens: self.tokens.get(start..).unwrap_or_default().to_vec(),
        }
    }

    /// The clause without the tokens in `skip`.
    pub fn without(&self, skip: &[usize]) -> Clause {
        Clause {
            tokens: (self.tokens.iter().enumerate())
                .filter(|(i, _)| !skip.contains(i))
                .map(|(_, t)| t.clone())
                .collect(),
        }
    }

    /// The clause without leading connector words ("and", "then", "also", ...).
    pub fn trimmed(&self) -> Clause {
        let start = self
            .tokens
            .iter()
            .position(|t| !t.is_any(&["and", "then", "also", "please", "finally", "next"]))
            .unwrap_or(self.tokens.len());
        self.from(start)
    }

    /// The text as typed (literals in quotes), for messages that quote the user.
    pub fn text(&self) -> String {
        let parts: Vec<String> = self
            .tokens
            .iter()
            .map(|t| match &t.literal {
                None if t.colon => format!("{}:", t.raw),
                None => t.raw.clone(),
                Some(Literal::Quoted(text)) => format!("“{text}”"),
                Some(Literal::Code(text)) => format!("`{text}`"),
                Some(Literal::Json(text)) => text.clone(),
                Some(Literal::Group(text)) => format!("({text})"),
            })
            .collect();
        parts.join(" ")
    }

    /// Whether every token is one of `words` (true for an empty clause).
    pub fn only(&self, words: &[&str]) -> bool {
        self.tokens.iter().all(|t| t.is_any(words))
    }
}

/// The clauses of a message.
pub(super) fn clauses(message: &str) -> Vec<Clause> {
    let mut out = Vec::new();
    for run in tokenize(message) {
        let mut current = Clause::default();
        for (i, token) in run.iter().enumerate() {
            let next = run.get(i + 1);
            let split_here = token.is("then")
                || (token.is("after") && next.is_some_and(|n| n.is("that")))
                || (token.is("and") && next.is_some_and(|n| n.is_any(ACTION_WORDS)));
            if split_here && !current.tokens.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.tokens.push(token.clone());
        }
        if !current.tokens.is_empty() {
            out.push(current);
        }
    }
    out.into_iter()
        .map(|clause| clause.trimmed())
        .map(|clause| {
            // "after that" leaves its "that" behind.
            if clause.reads_at(0, &["after", "that"]) {
                clause.from(2)
            } else {
                clause
            }
        })
        .filter(|clause| !clause.tokens.is_empty())
        .collect()
}

/// Runs of tokens between hard separators (`,` `;` sentence ends).
fn tokenize(message: &str) -> Vec<Vec<Token>> {
    let chars: Vec<char> = message.chars().collect();
    let mut runs = vec![Vec::new()];
    let mut word = String::new();
    let mut i = 0;
    let flush = |word: &mut String, runs: &mut Vec<Vec<Token>>, colon: bool| {
        if !word.is_empty() {
            runs.last_mut()
                .expect("a run")
                .push(Token::word(word, colon));
            word.clear();
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let ends_here = next.is_none_or(char::is_whitespace);
        if word.is_empty() {
            if let Some((literal, end)) = literal_at(&chars, i) {
                runs.last_mut()
                    .expect("a run")
                    .push(Token::literal(literal));
                i = end;
                continue;
            }
        }
        match c {
            c if c.is_whitespace() => flush(&mut word, &mut runs, false),
            // "1,000" is a number, not two clauses.
            ',' if word.ends_with(|c: char| c.is_ascii_digit())
                && next.is_some_and(|n| n.is_ascii_digit()) =>
            {
                word.push(c);
            }
            ',' | ';' => {
                flush(&mut word, &mut runs, false);
                runs.push(Vec::new());
            }
            '.' | '!' | '?' if ends_here => {
                flush(&mut word, &mut runs, false);
                runs.push(Vec::new());
            }
            ':' if ends_here => flush(&mut word, &mut runs, true),
            c => word.push(c),
        }
        i += 1;
    }
    flush(&mut word, &mut runs, false);
    runs.retain(|run| !run.is_empty());
    runs
}

/// A literal starting at `start`, and the index after it.
fn literal_at(chars: &[char], start: usize) -> Option<(Literal, usize)> {
    let c = chars[start];
    let closing = |close: char, strict: bool| -> Option<usize> {
        (start + 1..chars.len()).find(|&j| {
            chars[j] == close
                && (!strict
                    || chars
                        .get(j + 1)
                        .is_none_or(|n| n.is_whitespace() || ",.;:!?)".contains(*n)))
        })
    };
    let text = |end: usize| chars[start + 1..end].iter().collect::<String>();
    let (literal, end) = match c {
        '"' => {
            let end = closing('"', false)?;
            (Literal::Quoted(text(end)), end)
        }
        '“' => {
            let end = closing('”', false)?;
            (Literal::Quoted(text(end)), end)
        }
        '‘' => {
            let end = closing('’', false)?;
            (Literal::Quoted(text(end)), end)
        }
        // An apostrophe inside a text ("don't") is not a closing quote: only one before a
        // space or punctuation is.
        '\'' => {
            let end = closing('\'', true)?;
            (Literal::Quoted(text(end)), end)
        }
        '`' => {
            let end = closing('`', false)?;
            (Literal::Code(text(end)), end)
        }
        '(' => {
            let end = closing(')', false)?;
            (Literal::Group(text(end)), end)
        }
        '{' if chars.get(start + 1) != Some(&'{') => {
            let mut depth = 0usize;
            let end = (start..chars.len()).find(|&j| {
                match chars[j] {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })?;
            let json: String = chars[start..=end].iter().collect();
            return Some((Literal::Json(json), end + 1));
        }
        _ => return None,
    };
    Some((literal, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(message: &str) -> Vec<String> {
        clauses(message).iter().map(Clause::text).collect()
    }

    #[test]
    fn commas_sentences_and_action_ands_split_clauses() {
        assert_eq!(
            texts("When a webhook is called at /orders, keep the fields id and total, post 'New order {{id}}' to Slack #sales and answer ok."),
            [
                "When a webhook is called at /orders",
                "keep the fields id and total",
                "post “New order {{id}}” to Slack #sales",
                "answer ok",
            ]
        );
        assert_eq!(
            texts("Every hour fetch https://x.example/a.json then wait 5 minutes. After that email a@b.co"),
            ["Every hour fetch https://x.example/a.json", "wait 5 minutes", "email a@b.co"]
        );
    }

    #[test]
    fn literals_keep_their_punctuation_and_apostrophes_stay_in_words() {
        let found =
            clauses(r#"post "Hi, there. And then" to slack, don't run `a, b` or {"a": {"b": 1}}"#);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].quoted(), Some("Hi, there. And then"));
        assert!(found[1].tokens.iter().any(|t| t.raw == "don't"));
        assert_eq!(
            found[1].literal(|l| match l {
                Literal::Code(t) => Some(t),
                _ => None,
            }),
            Some("a, b")
        );
        assert_eq!(
            found[1].literal(|l| match l {
                Literal::Json(t) => Some(t),
                _ => None,
            }),
            Some(r#"{"a": {"b": 1}}"#)
        );
    }

    #[test]
    fn a_colon_marks_the_text_that_follows() {
        let found = clauses("notify Slack #sales: New order {{id}} arrived");
        assert_eq!(
            found[0].after_colon().as_deref(),
            Some("New order {{id}} arrived")
        );
        assert_eq!(clauses("daily at 9:30")[0].after_colon(), None);
    }

    #[test]
    fn words_are_matched_in_lower_case_without_punctuation() {
        let found = clauses("Insert into orders (id, total)!");
        let clause = &found[0];
        assert!(clause.tokens[0].is("insert"));
        assert_eq!(clause.tokens[0].raw, "Insert");
        assert_eq!(
            clause.tokens[3].literal,
            Some(Literal::Group("id, total".into()))
        );
        assert!(clause.reads_at(1, &["into", "orders"]));
    }
}
