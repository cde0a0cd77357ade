//! A credential's fields as the form sends them, read against the catalogue into the JSON
//! object n8n expects (numbers as numbers, yes/no as booleans), and merged with the stored
//! one on edit: an empty secret field keeps its stored value, since secrets are never sent
//! back to the browser to be re-submitted.

use crate::error::AppError;
use flowpulse_core::builder::catalogue::{
    credential, CredentialField, CredentialSetup, CredentialSpec, FieldKind,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The fields of one credential, typed as n8n stores them.
pub type Fields = Map<String, Value>;

/// The catalogue entry of a type FlowPulse can store, with its fields.
pub fn storable(
    credential_type: &str,
) -> Result<(&'static CredentialSpec, &'static [CredentialField]), AppError> {
    let spec = credential(credential_type)
        .ok_or_else(|| AppError::Invalid("Choose a credential type from the list.".into()))?;
    match spec.setup {
        CredentialSetup::Fields(fields) => Ok((spec, fields)),
        CredentialSetup::ConnectInN8n => Err(AppError::Invalid(connect_in_n8n(spec))),
    }
}

/// What to do for a type that needs n8n's own sign-in screen.
pub fn connect_in_n8n(spec: &CredentialSpec) -> String {
    format!(
        "{} needs a sign-in only n8n can show: connect it in n8n (Credentials → Add credential), \
         then pick it in the deployed workflow's node there.",
        spec.display_name
    )
}

/// Reads the submitted `form` for `fields`. `stored` is the credential's current data when an
/// existing credential of the same type is edited: its secrets stand in for empty inputs.
pub fn parse(
    fields: &[CredentialField],
    form: &HashMap<String, String>,
    stored: Option<&Fields>,
) -> Result<Fields, AppError> {
    let mut data = Fields::new();
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    for field in fields {
        // Pasted tokens often carry a trailing newline or space; no value is padded on purpose.
        let raw = form.get(field.name).map_or("", |value| value.trim());
        if raw.is_empty() {
            let kept = stored
                .filter(|_| field.secret)
                .and_then(|stored| stored.get(field.name))
                .filter(|value| value.as_str().is_none_or(|text| !text.is_empty()));
            if let Some(value) = kept {
                data.insert(field.name.into(), value.clone());
            } else if field.required {
                missing.push(field.label);
            } else if !field.default.is_empty() {
                // An optional field left empty takes n8n's own default.
                if let Ok(value) = typed(field, field.default) {
                    data.insert(field.name.into(), value);
                }
            }
            continue;
        }
        match typed(field, raw) {
            Ok(value) => {
                data.insert(field.name.into(), value);
            }
            Err(problem) => wrong.push(problem),
        }
    }
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("Fill in: {}.", missing.join(", ")));
    }
    problems.extend(wrong);
    if problems.is_empty() {
        Ok(data)
    } else {
        Err(AppError::Invalid(problems.join(" ")))
    }
}

/// `raw` as the JSON kind `field` has.
fn typed(field: &CredentialField, raw: &str) -> Result<Value, String> {
    match field.kind {
        FieldKind::Text => Ok(Value::String(raw.to_string())),
        FieldKind::Number => raw.parse::<u32>().map(Value::from).map_err(|_| {
            format!(
                "{} must be a whole number, like {}.",
                field.label,
                example(field)
            )
        }),
        FieldKind::Boolean => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("{} must be yes or no.", field.label)),
        },
    }
}

fn example(field: &CredentialField) -> &'static str {
    if field.default.is_empty() {
        "443"
    } else {
        field.default
    }
}

/// The field whose last characters identify the credential: its first required secret, else
/// its first secret.
fn main_secret(fields: &[CredentialField]) -> Option<&CredentialField> {
    fields
        .iter()
        .find(|field| field.secret && field.required)
        .or_else(|| fields.iter().find(|field| field.secret))
}

/// What may be stored and shown of the credential: the last four characters of its main
/// secret, nothing when that secret is shorter than eight (four would be half of it).
pub fn hint(fields: &[CredentialField], data: &Fields) -> String {
    let Some(secret) = main_secret(fields)
        .and_then(|field| data.get(field.name))
        .and_then(Value::as_str)
    else {
        return String::new();
    };
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 8 {
        return String::new();
    }
    chars[chars.len() - 4..].iter().collect()
}

/// The values of the fields that are not secret, as text for the edit form.
pub fn plain_values(fields: &[CredentialField], data: &Fields) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|field| !field.secret)
        .filter_map(|field| {
            let text = match data.get(field.name)? {
                Value::String(text) => text.clone(),
                Value::Bool(true) => "true".into(),
                Value::Bool(false) => "false".into(),
                other => other.to_string(),
            };
            Some((field.name.to_string(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fields_of(credential_type: &str) -> &'static [CredentialField] {
        storable(credential_type).unwrap().1
    }

    #[test]
    fn numbers_and_yes_no_fields_are_stored_as_n8n_expects() {
        let data = parse(
            fields_of("smtp"),
            &form(&[
                ("host", " mail.example.com\n"),
                ("port", "587"),
                ("secure", "false"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            Value::Object(data),
            json!({"host": "mail.example.com", "port": 587, "secure": false})
        );
    }

    #[test]
    fn every_missing_required_field_is_named_at_once() {
        let error = parse(fields_of("postgres"), &form(&[("host", "db")]), None).unwrap_err();
        let AppError::Invalid(text) = error else {
            panic!("{error:?}")
        };
        assert!(
            text.starts_with("Fill in: Port, Database, User, Password."),
            "{text}"
        );
    }

    #[test]
    fn a_wrong_number_or_boolean_says_which_field_and_how() {
        let error = parse(
            fields_of("smtp"),
            &form(&[("host", "h"), ("port", "four"), ("secure", "maybe")]),
            None,
        )
        .unwrap_err();
        assert_eq!(
            error,
            AppError::Invalid(
                "Port must be a whole number, like 465. Use TLS must be yes or no.".into()
            )
        );
    }

    #[test]
    fn an_empty_secret_on_edit_keeps_the_stored_one_but_other_fields_change() {
        let stored = parse(
            fields_of("httpBasicAuth"),
            &form(&[("user", "ada"), ("password", "s3cret-password")]),
            None,
        )
        .unwrap();
        let edited = parse(
            fields_of("httpBasicAuth"),
            &form(&[("user", "grace"), ("password", "")]),
            Some(&stored),
        )
        .unwrap();
        assert_eq!(
            Value::Object(edited),
            json!({"user": "grace", "password": "s3cret-password"})
        );
    }

    #[test]
    fn an_emptied_plain_field_is_not_filled_from_the_stored_one() {
        let stored = parse(
            fields_of("httpHeaderAuth"),
            &form(&[("name", "X-Key"), ("value", "0123456789")]),
            None,
        )
        .unwrap();
        let error = parse(
            fields_of("httpHeaderAuth"),
            &form(&[("name", ""), ("value", "")]),
            Some(&stored),
        )
        .unwrap_err();
        assert_eq!(error, AppError::Invalid("Fill in: Header name.".into()));
    }

    #[test]
    fn optional_fields_left_empty_take_n8ns_default_or_stay_out() {
        let data = parse(
            fields_of("smtp"),
            &form(&[("host", "h"), ("port", "465"), ("secure", "true")]),
            None,
        )
        .unwrap();
        assert!(!data.contains_key("user") && !data.contains_key("password"));
        let data = parse(
            fields_of("postgres"),
            &form(&[
                ("host", "h"),
                ("port", "5432"),
                ("database", "d"),
                ("user", "u"),
                ("password", "p"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(data["ssl"], json!("disable"));
    }

    #[test]
    fn oauth_and_unknown_types_are_refused_with_what_to_do() {
        let AppError::Invalid(text) = storable("slackOAuth2Api").unwrap_err() else {
            panic!()
        };
        assert!(text.contains("connect it in n8n"), "{text}");
        assert!(storable("nope").is_err());
    }

    #[test]
    fn the_hint_is_at_most_the_last_four_characters_of_the_main_secret() {
        let slack = fields_of("slackApi");
        let data = parse(slack, &form(&[("accessToken", "xoxb-1234-abcd")]), None).unwrap();
        assert_eq!(hint(slack, &data), "abcd");
        let short = parse(slack, &form(&[("accessToken", "xoxb-1")]), None).unwrap();
        assert_eq!(hint(slack, &short), "");
        // SMTP's password is optional: it is still the secret the hint comes from.
        let smtp = fields_of("smtp");
        let data = parse(
            smtp,
            &form(&[("host", "h"), ("port", "1"), ("secure", "no")]),
            None,
        )
        .unwrap();
        assert_eq!(hint(smtp, &data), "");
    }

    #[test]
    fn only_plain_values_go_back_to_the_edit_form() {
        let fields = fields_of("httpBasicAuth");
        let data = parse(
            fields,
            &form(&[("user", "ada"), ("password", "top-secret-1")]),
            None,
        )
        .unwrap();
        let shown = plain_values(fields, &data);
        assert_eq!(shown.get("user").map(String::as_str), Some("ada"));
        assert!(!shown.contains_key("password"));
        assert!(!shown.values().any(|v| v.contains("top-secret")));
    }
}
