//! The shapes values must have: webhook paths, URLs, addresses, channels, chat ids, names.

/// Why n8n would not serve `path` under `/webhook/`, if it would not.
pub fn webhook_path_problem(path: &str) -> Option<&'static str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_./:".contains(c);
    if path.is_empty() {
        Some("is empty")
    } else if path.starts_with('/') {
        Some("must not start with a slash")
    } else if path.len() > 200 {
        Some("is longer than 200 characters")
    } else if !path.chars().all(allowed) {
        Some("may only use letters, digits and - _ . / :")
    } else if path.contains("//") || path.ends_with('/') {
        Some("has an empty segment")
    } else {
        None
    }
}

/// An http(s) URL; one built from an expression must still start with its scheme.
pub fn is_http_url(url: &str) -> bool {
    let url = url.trim();
    if url.contains("{{") {
        let fixed = &url[..url.find("{{").unwrap_or(url.len())];
        return (fixed.starts_with("https://") || fixed.starts_with("http://"))
            && fixed.len() > "https://".len();
    }
    url::Url::parse(url).is_ok_and(|parsed| {
        matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some()
    })
}

/// One address (`a@b.example`), or an expression that yields one.
pub fn is_email(address: &str) -> bool {
    if address.contains("{{") {
        return true;
    }
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || "<>,;\"".contains(c))
        && !domain.contains('@')
}

/// `#name` (Slack's channel-name rules) or a channel ID such as `C0123ABCD`.
pub fn is_slack_channel(channel: &str) -> bool {
    if channel.contains("{{") {
        return true;
    }
    if let Some(name) = channel.strip_prefix('#') {
        return (1..=80).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_".contains(c));
    }
    channel.len() >= 3
        && channel.starts_with(['C', 'G', 'D'])
        && channel
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

pub(super) fn is_telegram_chat(chat_id: &str) -> bool {
    if chat_id.contains("{{") {
        return true;
    }
    if let Some(name) = chat_id.strip_prefix('@') {
        return name.len() >= 5 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    }
    let digits = chat_id.strip_prefix('-').unwrap_or(chat_id);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// A plain identifier: a letter or `_`, then letters, digits or `_`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Identifiers joined by dots (`total`, `customer.email`): usable as `$json.<path>`.
pub fn is_field_path(path: &str) -> bool {
    path.split('.').all(is_identifier)
}

pub(super) fn is_table(table: &str) -> bool {
    let parts: Vec<&str> = table.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|part| is_identifier(part))
}
