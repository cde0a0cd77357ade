//! The `[USR-]` naming rule for workflows FlowPulse creates in n8n on a user's behalf.
//!
//! Such a workflow is named `[USR-<first 8 hex chars of the user's uuid>] <title>`; older ones
//! carry the bare legacy prefix `[USR-] <title>`. Cleanup deletes orphaned workflows with this
//! prefix *in n8n*, so the parser is deliberately strict about the prefix itself: a name that
//! merely looks similar (other letter case, another length) is not ours and must be left alone.

use uuid::Uuid;

const OPEN: &str = "[USR-";
const PREFIX_HEX_LEN: usize = 8;

/// A parsed FlowPulse-created workflow name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWorkflowName {
    /// The 8 lowercase hex chars naming the user, or empty for the legacy `[USR-]` form.
    pub user_prefix: String,
    /// The title after the prefix, trimmed.
    pub title: String,
}

impl UserWorkflowName {
    /// True if this name was made for `user`. Legacy names name nobody, so they belong to no one.
    pub fn belongs_to(&self, user: Uuid) -> bool {
        !self.user_prefix.is_empty() && self.user_prefix == user_prefix(user)
    }

    /// True for the bare legacy `[USR-] title` form.
    pub fn is_legacy(&self) -> bool {
        self.user_prefix.is_empty()
    }
}

/// The first 8 hex chars of a user's uuid, lowercase.
pub fn user_prefix(user: Uuid) -> String {
    let mut hex = user.simple().to_string();
    hex.truncate(PREFIX_HEX_LEN);
    hex
}

/// The n8n name for a workflow FlowPulse creates for `user`. The title is trimmed so names
/// parse back to the same title.
pub fn user_workflow_name(user: Uuid, title: &str) -> String {
    let title = title.trim();
    if title.is_empty() {
        format!("{OPEN}{}]", user_prefix(user))
    } else {
        format!("{OPEN}{}] {title}", user_prefix(user))
    }
}

/// Parses a name of the `[USR-xxxxxxxx] title` or legacy `[USR-] title` form.
///
/// Whitespace around the whole name and between the prefix and the title is ignored; the prefix
/// must be exactly 8 hex digits (either case, reported lowercase) or empty.
pub fn parse_user_workflow_name(name: &str) -> Option<UserWorkflowName> {
    let rest = name.trim().strip_prefix(OPEN)?;
    let (prefix, title) = rest.split_once(']')?;
    let well_formed = prefix.is_empty()
        || (prefix.len() == PREFIX_HEX_LEN && prefix.bytes().all(|b| b.is_ascii_hexdigit()));
    well_formed.then(|| UserWorkflowName {
        user_prefix: prefix.to_ascii_lowercase(),
        title: title.trim().to_string(),
    })
}

/// True if the name marks a workflow FlowPulse created (either prefix form).
pub fn is_user_created(name: &str) -> bool {
    parse_user_workflow_name(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Uuid {
        Uuid::parse_str("1A2B3C4D-0000-4000-8000-000000000001").unwrap()
    }

    #[test]
    fn a_name_carries_the_first_eight_hex_chars_of_the_user() {
        assert_eq!(
            user_workflow_name(alice(), "Lead intake"),
            "[USR-1a2b3c4d] Lead intake"
        );
    }

    #[test]
    fn a_built_name_parses_back_to_its_parts() {
        let parsed =
            parse_user_workflow_name(&user_workflow_name(alice(), "  Lead intake ")).unwrap();
        assert_eq!(parsed.user_prefix, "1a2b3c4d");
        assert_eq!(parsed.title, "Lead intake");
        assert!(parsed.belongs_to(alice()));
        assert!(!parsed.belongs_to(Uuid::nil()));
    }

    #[test]
    fn surrounding_whitespace_is_ignored_but_the_prefix_is_not_relaxed() {
        let parsed = parse_user_workflow_name("  [USR-1A2B3C4D]Report\t").unwrap();
        assert_eq!(parsed.user_prefix, "1a2b3c4d");
        assert_eq!(parsed.title, "Report");
        for not_ours in [
            "[usr-1a2b3c4d] Report",
            "[USR-1a2b3c] Report",
            "[USR-1a2b3c4dz] Report",
            "[USR-ghijklmn] Report",
            "[USR- 1a2b3c4d] Report",
            "[USR-1a2b3c4d Report",
            "Report [USR-1a2b3c4d]",
            "Report",
            "",
        ] {
            assert!(!is_user_created(not_ours), "{not_ours:?}");
        }
    }

    #[test]
    fn the_bare_legacy_prefix_is_user_created_but_belongs_to_nobody() {
        let parsed = parse_user_workflow_name("[USR-] Old report").unwrap();
        assert!(parsed.is_legacy());
        assert_eq!(parsed.title, "Old report");
        assert!(!parsed.belongs_to(alice()));
        assert!(is_user_created("[USR-] Old report"));
    }

    #[test]
    fn an_empty_title_gives_a_bare_prefix_that_still_parses() {
        let name = user_workflow_name(alice(), "   ");
        assert_eq!(name, "[USR-1a2b3c4d]");
        assert_eq!(parse_user_workflow_name(&name).unwrap().title, "");
    }
}
