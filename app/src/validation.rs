//! Input rules shared by the forms (to state them) and the server (to enforce them).

/// The password rule, as the sign-up form states it.
pub const PASSWORD_RULE: &str = "At least 10 characters, with letters and digits.";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a new password is too weak, or `None` when it follows [`PASSWORD_RULE`].
pub fn password_problem(password: &str) -> Option<&'static str> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some("The password is too short: use at least 10 characters.");
    }
    if !password.chars().any(char::is_alphabetic) {
        return Some("The password needs at least one letter.");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return Some("The password needs at least one digit.");
    }
    None
}

/// Emails are compared case-insensitively and without surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why an (already normalized) email address cannot be used, or `None`.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let plausible = email.len() <= 255
        && !email.contains(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    (!plausible).then_some("Enter an email address like name@example.com.")
}

/// Why an instance name cannot be used, or `None`.
pub fn instance_name_problem(name: &str) -> Option<&'static str> {
    match name.trim().chars().count() {
        0 => Some("Give the instance a name, e.g. \"Production\"."),
        1..=100 => None,
        _ => Some("The name is too long: keep it under 100 characters."),
    }
}

/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Why a chat message cannot be sent, or `None`.
pub fn message_problem(text: &str) -> Option<String> {
    match text.trim().chars().count() {
        0 => Some("Type a message first: say what the workflow should do.".into()),
        1..=MAX_MESSAGE_CHARS => None,
        n => Some(format!(
            "Messages are limited to {MAX_MESSAGE_CHARS} characters; this one has {n}. Split it into a request and follow-ups."
        )),
    }
}

/// Why a credential name cannot be used, or `None`.
pub fn credential_name_problem(name: &str) -> Option<&'static str> {
    match name.trim().chars().count() {
        0 => Some("Give the credential a name, e.g. \"Team Slack\"."),
        1..=100 => None,
        _ => Some("The name is too long: keep it under 100 characters."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_needs_ten_characters_letters_and_digits() {
        assert_eq!(password_problem("abcdefgh12"), None);
        assert!(password_problem("abc12").unwrap().contains("too short"));
        assert!(password_problem("abcdefghijk").unwrap().contains("digit"));
        assert!(password_problem("1234567890").unwrap().contains("letter"));
        // Characters, not bytes: ten accented letters and digits are ten characters.
        assert_eq!(password_problem("éééééééé12"), None);
    }

    #[test]
    fn emails_are_normalized_and_checked_for_shape() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
        assert_eq!(email_problem("ada@example.com"), None);
        assert!(email_problem("ada").is_some());
        assert!(email_problem("@example.com").is_some());
        assert!(email_problem("ada@localhost").is_some());
        assert!(email_problem("a da@example.com").is_some());
    }

    #[test]
    fn instance_names_are_required_and_bounded() {
        assert!(instance_name_problem("  ").is_some());
        assert_eq!(instance_name_problem("Production"), None);
        assert!(instance_name_problem(&"x".repeat(101)).is_some());
    }

    #[test]
    fn a_message_must_say_something_and_stay_within_the_limit() {
        assert!(message_problem("  \n ").unwrap().contains("Type a message"));
        assert_eq!(message_problem(&"é".repeat(2000)), None);
        let long = message_problem(&"x".repeat(2001)).unwrap();
        assert!(
            long.contains("2000 characters") && long.contains("2001"),
            "{long}"
        );
    }

    #[test]
    fn credential_names_are_required_and_bounded() {
        assert!(credential_name_problem(" ").is_some());
        assert_eq!(credential_name_problem("Team Slack"), None);
        assert!(credential_name_problem(&"x".repeat(101)).is_some());
    }
}
