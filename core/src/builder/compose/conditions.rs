//! One comparison in words: "total > 100", "status is 'paid'", "the email contains @acme.com",
//! "note is empty". What follows the value is left for the caller (an IF's step).

use serde_json::Value;

use super::fields::{is_field_name, Context};
use super::text::{Clause, Token};
use crate::builder::plan::{Condition, Operator};

/// Operator phrases, longer ones first so "is not" wins over "is".
const PHRASES: &[(&[&str], Operator)] = &[
    (
        &["is", "greater", "than", "or", "equal", "to"],
        Operator::GreaterOrEqual,
    ),
    (
        &["is", "less", "than", "or", "equal", "to"],
        Operator::LessOrEqual,
    ),
    (&["is", "at", "least"], Operator::GreaterOrEqual),
    (&["at", "least"], Operator::GreaterOrEqual),
    (&["is", "at", "most"], Operator::LessOrEqual),
    (&["at", "most"], Operator::LessOrEqual),
    (&["is", "greater", "than"], Operator::Greater),
    (&["is", "more", "than"], Operator::Greater),
    (&["is", "bigger", "than"], Operator::Greater),
    (&["greater", "than"], Operator::Greater),
    (&["more", "than"], Operator::Greater),
    (&["is", "over"], Operator::Greater),
    (&["is", "above"], Operator::Greater),
    (&["over"], Operator::Greater),
    (&["above"], Operator::Greater),
    (&["exceeds"], Operator::Greater),
    (&["is", "less", "than"], Operator::Less),
    (&["is", "lower", "than"], Operator::Less),
    (&["less", "than"], Operator::Less),
    (&["lower", "than"], Operator::Less),
    (&["is", "under"], Operator::Less),
    (&["is", "below"], Operator::Less),
    (&["under"], Operator::Less),
    (&["below"], Operator::Less),
    (&["is", "not", "empty"], Operator::Exists),
    (&["is", "not", "set"], Operator::IsEmpty),
    (&["is", "missing"], Operator::IsEmpty),
    (&["is", "empty"], Operator::IsEmpty),
    (&["is", "blank"], Operator::IsEmpty),
    (&["is", "set"], Operator::Exists),
    (&["is", "present"], Operator::Exists),
    (&["exists"], Operator::Exists),
    (&["is", "not"], Operator::NotEquals),
    (&["isn't"], Operator::NotEquals),
    (&["does", "not", "equal"], Operator::NotEquals),
    (&["contains"], Operator::Contains),
    (&["includes"], Operator::Contains),
    (&["is", "equal", "to"], Operator::Equals),
    (&["equals"], Operator::Equals),
    (&["is"], Operator::Equals),
    (&[">="], Operator::GreaterOrEqual),
    (&["=>"], Operator::GreaterOrEqual),
    (&["<="], Operator::LessOrEqual),
    (&["!="], Operator::NotEquals),
    (&["=="], Operator::Equals),
    (&["="], Operator::Equals),
    (&[">"], Operator::Greater),
    (&["<"], Operator::Less),
];

/// A condition and the clause after it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Parsed {
    /// The comparison.
    pub condition: Condition,
    /// The words after its value.
    pub rest: Clause,
}

/// Reads a comparison at the start of `clause`; the field is placed by `context`.
pub(super) fn parse(clause: &Clause, context: &Context) -> Result<Parsed, String> {
    let clause = split_symbols(clause);
    let tokens = &clause.tokens;
    let start = tokens
        .iter()
        .position(|t| !t.is_any(&["the", "its", "their", "an", "a"]))
        .unwrap_or(tokens.len());
    let Some(field) = tokens
        .get(start)
        .filter(|t| t.literal.is_none() && is_field_name(&t.raw))
    else {
        return Err(format!(
            "I couldn't tell which field to check in “{}”: say for example “total > 100” or \
             “status is 'paid'”.",
            clause.text()
        ));
    };
    let at = start + 1;
    let Some((words, operator)) = PHRASES.iter().find(|(words, _)| clause.reads_at(at, words))
    else {
        return Err(format!(
            "I couldn't tell how to compare {} in “{}”: use >, <, is, is not, contains, is set \
             or is empty.",
            field.raw,
            clause.text()
        ));
    };
    let mut next = at + words.len();
    let value = if matches!(operator, Operator::Exists | Operator::IsEmpty) {
        None
    } else {
        let Some(token) = tokens.get(next) else {
            return Err(format!("What should {} be compared with?", field.raw));
        };
        next += 1;
        Some(value(token))
    };
    Ok(Parsed {
        condition: Condition {
            field: context.path(&field.raw),
            operator: *operator,
            value,
        },
        rest: clause.from(next).trimmed(),
    })
}

/// A comparison value: quoted text stays text, numbers and true/false are typed.
fn value(token: &Token) -> Value {
    if let Some(text) = token.quoted() {
        return Value::String(text.to_string());
    }
    let raw = token.raw.trim_start_matches('$');
    if let Ok(number) = raw.replace(',', "").parse::<serde_json::Number>() {
        return Value::Number(number);
    }
    match token.word.as_str() {
        "true" | "yes" => Value::Bool(true),
        "false" | "no" => Value::Bool(false),
        _ => Value::String(token.raw.clone()),
    }
}

/// "total>100" → "total", ">", "100": comparison symbols become tokens of their own.
fn split_symbols(clause: &Clause) -> Clause {
    let mut tokens = Vec::new();
    for token in &clause.tokens {
        let only_symbols = token.raw.chars().all(|c| "<>=!".contains(c));
        let symbol = [">=", "<=", "!=", "==", "=>", ">", "<", "="]
            .into_iter()
            .find(|s| token.literal.is_none() && !only_symbols && token.raw.contains(s));
        match symbol {
            Some(symbol) => {
                let (left, right) = token.raw.split_once(symbol).expect("contains it");
                for part in [left, symbol, right].into_iter().filter(|p| !p.is_empty()) {
                    tokens.push(Token {
                        raw: part.to_string(),
                        word: part.to_lowercase(),
                        literal: None,
                        colon: false,
                    });
                }
            }
            None => tokens.push(token.clone()),
        }
    }
    Clause { tokens }
}

#[cfg(test)]
mod tests {
    use super::super::text::clauses;
    use super::*;
    use serde_json::json;

    fn condition(text: &str) -> (Condition, String) {
        let parsed = parse(&clauses(text).remove(0), &Context::default()).unwrap();
        (parsed.condition, parsed.rest.text())
    }

    fn c(field: &str, operator: Operator, value: Option<Value>) -> Condition {
        Condition {
            field: field.into(),
            operator,
            value,
        }
    }

    #[test]
    fn symbols_and_words_read_as_operators() {
        assert_eq!(
            condition("total > 100").0,
            c("total", Operator::Greater, Some(json!(100)))
        );
        assert_eq!(
            condition("total>=99.5").0,
            c("total", Operator::GreaterOrEqual, Some(json!(99.5)))
        );
        assert_eq!(
            condition("the total is more than 1,000").0,
            c("total", Operator::Greater, Some(json!(1000)))
        );
        assert_eq!(
            condition("status is 'paid'").0,
            c("status", Operator::Equals, Some(json!("paid")))
        );
        assert_eq!(
            condition("status is not cancelled").0,
            c("status", Operator::NotEquals, Some(json!("cancelled")))
        );
        assert_eq!(
            condition("vip is true").0,
            c("vip", Operator::Equals, Some(json!(true)))
        );
        assert_eq!(
            condition("email contains '@acme.com'").0,
            c("email", Operator::Contains, Some(json!("@acme.com")))
        );
        assert_eq!(
            condition("note is empty").0,
            c("note", Operator::IsEmpty, None)
        );
        assert_eq!(
            condition("customer.email is set").0,
            c("customer.email", Operator::Exists, None)
        );
    }

    #[test]
    fn the_words_after_the_value_are_left_for_the_step() {
        assert_eq!(
            condition("total > 100 post 'Big' to slack #big"),
            (
                c("total", Operator::Greater, Some(json!(100))),
                "post “Big” to slack #big".into()
            )
        );
    }

    #[test]
    fn a_missing_field_or_operator_is_explained() {
        let error = |text: &str| parse(&clauses(text).remove(0), &Context::default()).unwrap_err();
        assert!(error("'big' orders").contains("which field"));
        assert!(error("total roughly 100").contains("how to compare total"));
        assert_eq!(error("total >"), "What should total be compared with?");
    }
}
