//! The credential types the builder's nodes use, and what a user fills in for each (read from
//! n8n 2.41.1's `credentials.json`; `tests/it/builder_catalogue.rs` checks it against the
//! install).

/// How a user provides a credential of some type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSetup {
    /// FlowPulse asks for these fields and creates the credential through n8n's API.
    Fields(&'static [CredentialField]),
    /// An OAuth2 type: n8n needs its consent screen, so the user connects it in n8n itself.
    ConnectInN8n,
}

/// One field a user fills for a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    /// n8n's field name in the credential's `data`.
    pub name: &'static str,
    /// What the form calls it.
    pub label: &'static str,
    /// Shown masked and never echoed back.
    pub secret: bool,
    /// The credential does not work without it. Stricter than n8n's own `required`, which
    /// leaves out fields such as an SMTP host only because they have an empty default.
    pub required: bool,
    /// The value's kind in `data`.
    pub kind: FieldKind,
    /// n8n's default, as text ("" when none).
    pub default: &'static str,
}

/// The JSON kind of a credential field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A string.
    Text,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
}

/// One credential type as the builder uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialSpec {
    /// n8n's credential type name.
    pub credential_type: &'static str,
    /// n8n's display name.
    pub display_name: &'static str,
    /// How the user provides one.
    pub setup: CredentialSetup,
}

const fn field(name: &'static str, label: &'static str) -> CredentialField {
    CredentialField {
        name,
        label,
        secret: false,
        required: true,
        kind: FieldKind::Text,
        default: "",
    }
}

const fn secret(name: &'static str, label: &'static str) -> CredentialField {
    CredentialField {
        secret: true,
        ..field(name, label)
    }
}

/// Every credential type the builder's nodes reference, and Slack's OAuth2 alternative.
pub const CREDENTIALS: &[CredentialSpec] = &[
    CredentialSpec {
        credential_type: "slackApi",
        display_name: "Slack API",
        setup: CredentialSetup::Fields(&[secret("accessToken", "Bot token (xoxb-…)")]),
    },
    CredentialSpec {
        credential_type: "slackOAuth2Api",
        display_name: "Slack OAuth2 API",
        setup: CredentialSetup::ConnectInN8n,
    },
    CredentialSpec {
        credential_type: "smtp",
        display_name: "SMTP",
        setup: CredentialSetup::Fields(&[
            field("host", "SMTP host"),
            CredentialField {
                kind: FieldKind::Number,
                default: "465",
                ..field("port", "Port")
            },
            CredentialField {
                kind: FieldKind::Boolean,
                default: "true",
                ..field("secure", "Use TLS")
            },
            CredentialField {
                required: false,
                ..field("user", "User")
            },
            CredentialField {
                required: false,
                ..secret("password", "Password")
            },
        ]),
    },
    CredentialSpec {
        credential_type: "discordWebhookApi",
        display_name: "Discord Webhook",
        setup: CredentialSetup::Fields(&[secret("webhookUri", "Webhook URL")]),
    },
    CredentialSpec {
        credential_type: "telegramApi",
        display_name: "Telegram API",
        setup: CredentialSetup::Fields(&[secret("accessToken", "Bot token")]),
    },
    CredentialSpec {
        credential_type: "httpHeaderAuth",
        display_name: "Header Auth",
        setup: CredentialSetup::Fields(&[
            field("name", "Header name"),
            secret("value", "Header value"),
        ]),
    },
    CredentialSpec {
        credential_type: "httpBasicAuth",
        display_name: "Basic Auth",
        setup: CredentialSetup::Fields(&[field("user", "User"), secret("password", "Password")]),
    },
    CredentialSpec {
        credential_type: "postgres",
        display_name: "Postgres",
        setup: CredentialSetup::Fields(&[
            field("host", "Host"),
            CredentialField {
                kind: FieldKind::Number,
                default: "5432",
                ..field("port", "Port")
            },
            field("database", "Database"),
            field("user", "User"),
            secret("password", "Password"),
            CredentialField {
                required: false,
                default: "disable",
                ..field("ssl", "SSL (disable, allow, require)")
            },
        ]),
    },
];

/// The spec of a credential type, if the builder uses it.
pub fn credential(credential_type: &str) -> Option<&'static CredentialSpec> {
    CREDENTIALS
        .iter()
        .find(|spec| spec.credential_type == credential_type)
}

/// A short human name for a credential type ("Slack", "SMTP (email)"), for questions and
/// summaries.
pub fn credential_noun(credential_type: &str) -> &'static str {
    match credential_type {
        "slackApi" | "slackOAuth2Api" => "Slack",
        "smtp" => "SMTP (email)",
        "discordWebhookApi" => "Discord webhook",
        "telegramApi" => "Telegram",
        "httpHeaderAuth" => "header auth",
        "httpBasicAuth" => "basic auth",
        "postgres" => "Postgres",
        _ => "other",
    }
}
