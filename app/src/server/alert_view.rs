//! The alerts page's reads, put into words (a delivery's state, a rule's scope), and a new
//! rule's row checked before it is written.

use super::postgrest::Db;
use crate::api::alerts::{rule_kind_label, RULE_KINDS};
use crate::error::AppError;
use crate::format::absolute_time;
use crate::model::insight::{AlertView, AlertsPage, ChannelView, DeliveryView, RuleView};
use crate::model::{ProviderOption, WorkflowOption};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Alerts shown, newest first.
const ALERTS_SHOWN: usize = 100;
/// Deliveries read for them and the channels' tests.
const DELIVERIES_READ: usize = 500;

#[derive(serde::Deserialize)]
struct ChannelRow {
    id: Uuid,
    name: String,
    kind: String,
    hint: String,
}

#[derive(serde::Deserialize)]
struct RuleRow {
    id: Uuid,
    name: String,
    kind: String,
    provider_id: Option<Uuid>,
    workflow_id: Option<Uuid>,
    threshold: Option<f64>,
    enabled: bool,
}

#[derive(serde::Deserialize)]
struct LinkRow {
    rule_id: Uuid,
    channel_id: Uuid,
}

#[derive(serde::Deserialize)]
struct AlertRow {
    id: Uuid,
    rule_id: Uuid,
    subject: String,
    subject_label: String,
    state: String,
    message: String,
    opened_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
}

/// A row of `alert_deliveries`, as its words need it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DeliveryRow {
    /// `None` for a test.
    pub alert_id: Option<Uuid>,
    /// Where it went.
    pub channel_id: Uuid,
    /// `opened`, `resolved`, `test`.
    pub event: String,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next one is due.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last one failed.
    pub last_error: Option<String>,
    /// When it arrived.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// "delivered at …", "sending", "retrying at … (…)", "failed: …", "queued".
pub fn delivery_text(row: &DeliveryRow) -> String {
    let reason = row.last_error.as_deref().unwrap_or("no reason recorded");
    match row.status.as_str() {
        "delivered" => match row.delivered_at {
            Some(at) => format!("delivered at {}", absolute_time(at)),
            None => "delivered".into(),
        },
        "failed" => format!("failed: {reason}"),
        // A run claims a delivery (counting the attempt) before sending it and records the
        // outcome after; with no failure recorded yet, the first attempt is under way.
        _ if row.attempts == 1 && row.last_error.is_none() => "sending".into(),
        _ if row.attempts > 0 => format!(
            "retrying at {} (attempt {} failed: {reason})",
            absolute_time(row.next_attempt_at),
            row.attempts
        ),
        _ => "queued".into(),
    }
}

/// Everything the alerts page shows, read with the user's token.
pub async fn load(db: &Db) -> Result<AlertsPage, AppError> {
    #[derive(serde::Deserialize)]
    struct WorkflowRow {
        id: Uuid,
        name: String,
    }
    let channels_query = [
        ("select", "id,name,kind,hint".to_string()),
        ("order", "name".into()),
    ];
    let rules_query = [
        (
            "select",
            "id,name,kind,provider_id,workflow_id,threshold,enabled".to_string(),
        ),
        ("order", "name".into()),
    ];
    let links_query = [("select", "rule_id,channel_id".to_string())];
    let alerts_query = [
        (
            "select",
            "id,rule_id,subject,subject_label,state,message,opened_at,resolved_at".to_string(),
        ),
        ("order", "opened_at.desc".into()),
        ("limit", ALERTS_SHOWN.to_string()),
    ];
    let deliveries_query = [
        (
            "select",
            "alert_id,channel_id,event,status,attempts,next_attempt_at,last_error,delivered_at"
                .to_string(),
        ),
        ("order", "created_at.desc".into()),
        ("limit", DELIVERIES_READ.to_string()),
    ];
    let providers_query = [
        ("select", "id,name,status".to_string()),
        ("order", "name".into()),
    ];
    let workflows_query = [
        ("select", "id,name".to_string()),
        ("archived", "is.false".into()),
        ("order", "name".into()),
    ];
    let (channels, rules, links, alerts, deliveries, providers, workflows) = tokio::join!(
        db.select::<ChannelRow>("alert_channels", &channels_query),
        db.select::<RuleRow>("alert_rules", &rules_query),
        db.select::<LinkRow>("alert_rule_channels", &links_query),
        db.select::<AlertRow>("alerts", &alerts_query),
        db.select::<DeliveryRow>("alert_deliveries", &deliveries_query),
        db.select::<ProviderOption>("providers", &providers_query),
        db.select::<WorkflowRow>("mvp_workflows", &workflows_query),
    );
    let (channels, rules, links, alerts, deliveries, providers, workflows) = (
        channels?,
        rules?,
        links?,
        alerts?,
        deliveries?,
        providers?,
        workflows?,
    );
    let channel_name = |id: Uuid| {
        channels
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| "a deleted channel".to_string(), |c| c.name.clone())
    };
    let workflow_name = |id: Uuid| {
        workflows
            .iter()
            .find(|w| w.id == id)
            .map_or_else(|| "a removed workflow".to_string(), |w| w.name.clone())
    };
    let provider_name = |id: Uuid| {
        providers
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| "a deleted instance".to_string(), |p| p.name.clone())
    };
    let channel_views = channels
        .iter()
        .map(|c| ChannelView {
            id: c.id,
            name: c.name.clone(),
            kind: c.kind.clone(),
            hint: c.hint.clone(),
            // Newest first: the first test delivery of the channel is its latest.
            last_test: deliveries
                .iter()
                .find(|d| d.channel_id == c.id && d.event == "test")
                .map(delivery_text),
        })
        .collect();
    let rule_views = rules
        .iter()
        .map(|rule| RuleView {
            id: rule.id,
            name: rule.name.clone(),
            kind_label: rule_kind_label(&rule.kind),
            scope: match (rule.workflow_id, rule.provider_id) {
                (Some(workflow), _) => format!("workflow “{}”", workflow_name(workflow)),
                (None, Some(provider)) => format!("instance “{}”", provider_name(provider)),
                (None, None) => "every instance and workflow".into(),
            },
            threshold: rule.threshold,
            enabled: rule.enabled,
            channels: links
                .iter()
                .filter(|link| link.rule_id == rule.id)
                .map(|link| channel_name(link.channel_id))
                .collect(),
            form: crate::model::insight::RuleFormValues {
                kind: rule.kind.clone(),
                instance: rule.provider_id,
                workflow: rule.workflow_id,
                channel_ids: links
                    .iter()
                    .filter(|link| link.rule_id == rule.id)
                    .map(|link| link.channel_id)
                    .collect(),
            },
        })
        .collect();
    let (open, past): (Vec<AlertView>, Vec<AlertView>) = alerts
        .into_iter()
        .map(|alert| AlertView {
            id: alert.id,
            rule: rules
                .iter()
                .find(|r| r.id == alert.rule_id)
                .map_or_else(String::new, |r| r.name.clone()),
            subject: if alert.subject_label.trim().is_empty() {
                alert.subject.clone()
            } else {
                alert.subject_label.clone()
            },
            state: alert.state.clone(),
            message: alert.message.clone(),
            opened_at: alert.opened_at,
            resolved_at: alert.resolved_at,
            deliveries: deliveries
                .iter()
                .filter(|d| d.alert_id == Some(alert.id))
                .map(|d| DeliveryView {
                    channel: channel_name(d.channel_id),
                    event: d.event.clone(),
                    status: d.status.clone(),
                    text: delivery_text(d),
                })
                .collect(),
        })
        .partition(|alert| alert.state == "open");
    Ok(AlertsPage {
        channels: channel_views,
        rules: rule_views,
        open,
        past,
        providers,
        workflows: workflows
            .into_iter()
            .map(|w| WorkflowOption {
                id: w.id,
                name: w.name,
            })
            .collect(),
        now: Utc::now(),
    })
}

/// A new rule's row (with its id chosen here, to link channels to it), or what is wrong.
pub fn rule_body(
    name: &str,
    kind: &str,
    instance: &str,
    workflow: &str,
    threshold: &str,
) -> Result<serde_json::Value, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Invalid(
            "Give the rule a name of 1 to 100 characters.".into(),
        ));
    }
    let kind = kind.trim();
    if !RULE_KINDS.iter().any(|(value, _)| *value == kind) {
        return Err(AppError::Invalid("Choose what the rule watches.".into()));
    }
    let id_of = |text: &str, what: &str| -> Result<Option<Uuid>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|_| AppError::Invalid(format!("Pick the {what} from the list.")))
    };
    let threshold = match threshold.trim() {
        "" => None,
        text => {
            let value: f64 = text
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=100.0).contains(v))
                .ok_or_else(|| {
                    AppError::Invalid("The threshold is a percentage from 0 to 100.".into())
                })?;
            Some(value)
        }
    };
    if threshold.is_some() && kind != "failure_rate" {
        return Err(AppError::Invalid(
            "Only a failure-rate rule has a threshold; leave it empty.".into(),
        ));
    }
    Ok(serde_json::json!({
        "id": Uuid::new_v4(),
        "name": name,
        "kind": kind,
        "provider_id": id_of(instance, "instance")?,
        "workflow_id": id_of(workflow, "workflow")?,
        "threshold": threshold,
        "enabled": true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(status: &str, attempts: i32, error: Option<&str>) -> DeliveryRow {
        DeliveryRow {
            alert_id: None,
            channel_id: Uuid::nil(),
            event: "opened".into(),
            status: status.into(),
            attempts,
            next_attempt_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            last_error: error.map(str::to_string),
            delivered_at: None,
        }
    }

    #[test]
    fn a_delivery_reads_as_delivered_retrying_or_failed_with_its_reason() {
        assert_eq!(delivery_text(&delivery("delivered", 1, None)), "delivered");
        let retrying = delivery_text(&delivery(
            "pending",
            2,
            Some("the receiver answered HTTP 503"),
        ));
        assert!(retrying.starts_with("retrying at 2026-"), "{retrying}");
        assert!(retrying.contains("HTTP 503"), "{retrying}");
        assert_eq!(
            delivery_text(&delivery("failed", 5, Some("gone"))),
            "failed: gone"
        );
        assert_eq!(delivery_text(&delivery("pending", 0, None)), "queued");
        // Claimed for its first attempt, not answered yet: not a failure.
        assert_eq!(delivery_text(&delivery("pending", 1, None)), "sending");
    }

    #[test]
    fn a_rule_needs_a_name_a_known_kind_and_a_threshold_only_for_failure_rate() {
        assert!(rule_body("", "failure", "", "", "").is_err());
        assert!(rule_body("x", "everything", "", "", "").is_err());
        assert!(rule_body("x", "failure", "", "", "20").is_err());
        assert!(rule_body("x", "failure_rate", "", "", "120").is_err());
        let body = rule_body("Rate", "failure_rate", "", "", "25").unwrap();
        assert_eq!(body["threshold"], 25.0);
        assert!(body["provider_id"].is_null());
    }
}
