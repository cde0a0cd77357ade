//! Removing anything that looks like a secret from text n8n recorded, before FlowPulse stores
//! or sends it.
//!
//! Error descriptions echo what a node sent and received: request headers, query strings,
//! connection URLs, response bodies. n8n's own redaction covers its credential fields, not
//! what a service writes back, so every error text passes through [`redact`] first. The rules
//! prefer hiding a harmless word over letting a credential through; none needs a regex engine,
//! which the worker's wasm bundle would pay for.

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// `text` with secrets replaced by [`REDACTED`]: URL user-info, the values of secret-named
/// keys (`Authorization:`, `X-…-Key:`, `api_key=`, `"password": "…"`, `token=`, …), bearer and
/// basic credentials, JWTs, and long hex or base64 runs (32 characters and more).
pub fn redact(text: &str) -> String {
    let text = url_user_info(text);
    let text = auth_schemes(&text);
    let text = secret_values(&text);
    let text = jwts(&text);
    long_runs(&text)
}

/// At most `max` characters of `text` (an ellipsis included) with control characters other
/// than newlines and tabs removed: for text that ends up in emails, chat messages and columns
/// with a length limit.
pub fn clip(text: &str, max: usize) -> String {
    let clean: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `text` cut to at most `max` characters before redaction, so the work stays bounded however
/// much a service echoed. A secret straddling the cut is a partial word the rules might miss,
/// so the trailing partial word goes too.
pub fn bounded(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        None => text,
        Some((end, _)) => {
            let head = &text[..end];
            head.rfind(char::is_whitespace).map_or("", |at| &head[..at])
        }
    }
}

/// Replaces the user-info of every `scheme://user:password@host`.
fn url_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c.is_whitespace() || "/?#\"'<>`,;)]}\\".contains(c))
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(user_end) => {
                out.push_str(REDACTED);
                rest = &after[user_end..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// Characters of a token68 credential (RFC 7235) as it follows `Bearer` or `Basic`.
fn is_token68(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
}

/// A word that looks like a credential rather than prose: long enough and with a digit, a
/// symbol or mixed case (so `Basic authentication failed` keeps its words).
fn looks_like_credential(word: &str) -> bool {
    let has = |test: fn(&char) -> bool| word.chars().any(|c| test(&c));
    word.chars().count() >= 6
        && (has(char::is_ascii_digit)
            || has(|c| "-._~+/=".contains(*c))
            || (has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase)))
}

/// Replaces the credential after `Bearer` and `Basic`, wherever they appear.
fn auth_schemes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let next = ["bearer", "basic"]
            .iter()
            .filter_map(|scheme| word_start(&lower, scheme).map(|at| (at, scheme.len())))
            .min();
        let Some((at, len)) = next else { break };
        let after_scheme = &rest[at + len..];
        let gap = after_scheme.len() - after_scheme.trim_start_matches([' ', '\t']).len();
        let value = &after_scheme[gap..];
        let value_len = value.find(|c| !is_token68(c)).unwrap_or(value.len());
        out.push_str(&rest[..at + len + gap]);
        if gap > 0 && looks_like_credential(&value[..value_len]) {
            out.push_str(REDACTED);
            rest = &value[value_len..];
        } else {
            rest = value;
        }
    }
    out.push_str(rest);
    out
}

/// The first occurrence of `word` in `haystack` that does not continue a longer word.
fn word_start(haystack: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = haystack[from..].find(word) {
        let at = from + found;
        let before_ok = haystack[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        if before_ok {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Characters of a key in `key=value`, `key: value` or `"key": value`.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-.".contains(c)
}

/// Whether a key names a secret: `Authorization`, `X-N8N-API-KEY`, `api_key`, `password`,
/// `client_secret`, `access_token`, `Cookie`, …
fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let squashed: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    const PARTS: [&str; 11] = [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "accesskey",
        "privatekey",
        "authorization",
        "cookie",
        "credential",
    ];
    const WHOLE: [&str; 7] = ["pwd", "pass", "auth", "key", "sig", "signature", "session"];
    PARTS.iter().any(|part| squashed.contains(part))
        || WHOLE.contains(&squashed.as_str())
        || (lower.starts_with("x-") && lower.ends_with("key"))
}

/// Replaces the values of secret-named keys in headers, query strings and JSON.
fn secret_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < text.len() {
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        let starts_key = is_key_char(c)
            && text[..at]
                .chars()
                .next_back()
                .is_none_or(|before| !is_key_char(before));
        if !starts_key {
            at += c.len_utf8();
            continue;
        }
        let key_end = text[at..]
            .find(|c: char| !is_key_char(c))
            .map_or(text.len(), |len| at + len);
        if is_secret_key(&text[at..key_end]) {
            if let Some((value_start, value_end)) = value_after_key(text, key_end) {
                out.push_str(&text[copied..value_start]);
                out.push_str(REDACTED);
                copied = value_end;
                at = value_end;
                continue;
            }
        }
        at = key_end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The byte range of the value following a key that ends at `key_end`, when a separator follows
/// it: `=`, `:` or a quoted key's `": "`. Quoted values run to their closing quote (escaped
/// quotes of JSON inside a JSON string included); bare values to the next delimiter, and a
/// value that starts with an auth scheme (`Basic …`) takes the credential after it too.
fn value_after_key(text: &str, key_end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = key_end;
    let skip_spaces = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        i
    };
    // The closing quote of a quoted key, possibly escaped (`\"`).
    if bytes.get(i) == Some(&b'\\') && matches!(bytes.get(i + 1), Some(b'"' | b'\'')) {
        i += 2;
    } else if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    i = skip_spaces(i);
    if !matches!(bytes.get(i), Some(b'=' | b':')) {
        return None;
    }
    i = skip_spaces(i + 1);
    // A quoted value: `"…"`, `'…'` or `\"…\"`.
    let escaped = bytes.get(i) == Some(&b'\\') && bytes.get(i + 1) == Some(&b'"');
    if escaped || matches!(bytes.get(i), Some(b'"' | b'\'')) {
        let (open_len, close): (usize, &str) = if escaped {
            (2, "\\\"")
        } else if bytes[i] == b'"' {
            (1, "\"")
        } else {
            (1, "'")
        };
        let start = i + open_len;
        let end = closing_quote(text, start, close).unwrap_or(text.len());
        return (end > start).then_some((start, end));
    }
    let bare_end = |from: usize| {
        text[from..]
            .find(|c: char| c.is_whitespace() || "&,;\"'<>)}]\\".contains(c))
            .map_or(text.len(), |len| from + len)
    };
    let end = bare_end(i);
    if end == i {
        return None;
    }
    let word = text[i..end].to_ascii_lowercase();
    let scheme = ["basic", "bearer", "digest", "token", "apikey"].contains(&word.as_str());
    if scheme && text[end..].starts_with(' ') {
        let next = skip_spaces(end);
        // The credential may already be redacted (by the `Bearer`/`Basic` rule).
        let credential_end = if text[next..].starts_with(REDACTED) {
            next + REDACTED.len()
        } else {
            bare_end(next)
        };
        return Some((i, credential_end.max(end)));
    }
    Some((i, end))
}

/// The position of the quote closing a value that starts at `start`, skipping quotes escaped
/// with a backslash (unless the quote itself is the escaped form `\"`).
fn closing_quote(text: &str, start: usize, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        if text[i..].starts_with(close) {
            return Some(i);
        }
        // A backslash escapes the next character; skip both (unless it starts `\"`, handled
        // above when that is the closing form).
        i += if bytes[i] == b'\\' && close.len() == 1 {
            2
        } else {
            1
        };
    }
    None
}

/// Characters of a base64url segment.
fn is_base64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Replaces JSON Web Tokens: an `eyJ…` header, a dot, a payload, and usually a dot and a
/// signature (empty for `alg: none`).
fn jwts(text: &str) -> String {
    let segment_len = |s: &str| s.find(|c| !is_base64url(c)).unwrap_or(s.len());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let starts_word = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_base64url(c));
        let tail = &rest[at..];
        let mut end = segment_len(tail);
        let mut dots = 0;
        while dots < 2 && tail[end..].starts_with('.') {
            let len = segment_len(&tail[end + 1..]);
            if len == 0 && dots == 0 {
                break;
            }
            end += 1 + len;
            dots += 1;
        }
        if starts_word && dots > 0 {
            out.push_str(&rest[..at]);
            out.push_str(REDACTED);
            rest = &tail[end..];
        } else {
            out.push_str(&rest[..at + 3]);
            rest = &tail[3..];
        }
    }
    out.push_str(rest);
    out
}

/// Characters of a hex, base64 or base64url run.
fn is_run_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+/=_-".contains(c)
}

/// Replaces runs of 32 or more hex or base64 characters that look random: all hex digits, or
/// upper case, lower case and digits mixed. UUIDs (hex with dashes, lower case) stay.
fn long_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start: Option<usize> = None;
    let flush = |out: &mut String, run: &str| {
        let core = run.trim_end_matches('=');
        let hex = core.chars().all(|c| c.is_ascii_hexdigit());
        let has = |test: fn(&char) -> bool| core.chars().any(|c| test(&c));
        let mixed = has(char::is_ascii_uppercase)
            && has(char::is_ascii_lowercase)
            && has(char::is_ascii_digit);
        if core.len() >= 32 && (hex || mixed) {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
    };
    for (at, c) in text.char_indices() {
        match (is_run_char(c), run_start) {
            (true, None) => run_start = Some(at),
            (false, Some(start)) => {
                flush(&mut out, &text[start..at]);
                run_start = None;
                out.push(c);
            }
            (false, None) => out.push(c),
            (true, Some(_)) => {}
        }
    }
    if let Some(start) = run_start {
        flush(&mut out, &text[start..]);
    }
    out
}

#[cfg(test)]
mod tests;
