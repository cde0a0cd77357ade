//! Carrying out alert decisions: opening, resolving or refreshing the alert row, and queueing
//! one delivery per channel of the rule, its payload built by `core` for the channel's kind,
//! only when this sync's write is the one that opened or resolved the alert.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use flowpulse_core::insight::alerts::payload::{
    delivery_payload, AlertNotice, ChannelKind, DeliveryEvent,
};
use flowpulse_core::insight::alerts::{AlertDecision, NodeRef, Observation, Subject};
use flowpulse_core::insight::redact::clip;
use flowpulse_core::rows::Provider;
// The `url` crate's `Url` (the one payload links take), as reqwest re-exports it.
use reqwest011::Url;
use uuid::Uuid;

use super::{log_failure, Ctx, Plan};
use crate::store::{AlertInsert, AlertRow, DeliveryInsert, StoreError, WorkflowRef};

/// Longest `alerts.subject_label`.
const LABEL_MAX_CHARS: usize = 300;

/// Carries out the plans; a failed write is logged and the others still go ahead.
pub(super) async fn apply(
    ctx: &Ctx<'_>,
    provider: &Provider,
    plans: &[Plan<'_>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let notifying: Vec<&Plan<'_>> = plans
        .iter()
        .filter(|plan| {
            matches!(
                plan.decision,
                AlertDecision::Open(_) | AlertDecision::Resolve
            )
        })
        .collect();
    let mut names = HashMap::new();
    let mut kinds = HashMap::new();
    if !notifying.is_empty() {
        let mut workflow_ids: Vec<Uuid> = notifying
            .iter()
            .filter_map(|plan| match plan.subject {
                Subject::Workflow { id, .. } => Some(id),
                Subject::Instance { .. } => None,
            })
            .collect();
        workflow_ids.sort_unstable();
        workflow_ids.dedup();
        names = ctx
            .store
            .workflows_by_id(&workflow_ids)
            .await?
            .into_iter()
            .map(|workflow| (workflow.id, workflow))
            .collect();
        let mut channel_ids: Vec<Uuid> = notifying
            .iter()
            .flat_map(|plan| plan.rule.channels.iter().copied())
            .collect();
        channel_ids.sort_unstable();
        channel_ids.dedup();
        kinds = ctx
            .store
            .alert_channels(&channel_ids)
            .await?
            .into_iter()
            .map(|channel| (channel.id, channel.kind))
            .collect();
    }
    let notices = Notices {
        provider,
        names: &names,
        kinds: &kinds,
        app_base: app_base(ctx.config.app_url.as_deref(), &ctx.config.allowed_origins),
    };
    for plan in plans {
        let step = match &plan.decision {
            AlertDecision::Open(observation) => open(ctx, &notices, plan, observation, now).await,
            AlertDecision::Resolve => resolve(ctx, &notices, plan, now).await,
            AlertDecision::StillOpen(Some(observation)) => refresh(ctx, plan, observation).await,
            AlertDecision::StillOpen(None) | AlertDecision::Nothing => Ok(()),
        };
        if let Err(error) = step {
            log_failure(provider.id, "write an alert", &error);
        }
    }
    Ok(())
}

async fn open(
    ctx: &Ctx<'_>,
    notices: &Notices<'_>,
    plan: &Plan<'_>,
    observation: &Observation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = AlertInsert {
        user_id: notices.provider.user_id,
        rule_id: plan.rule.id,
        subject: plan.subject.key(),
        subject_label: clip(&notices.label(&plan.subject), LABEL_MAX_CHARS),
        message: observation.message.clone(),
        details: observation.details.clone(),
        opened_at: now,
    };
    // `None`: a concurrent sync opened it and notifies.
    let Some(alert) = ctx.store.insert_alert(&row).await? else {
        return Ok(());
    };
    let deliveries = notices.deliveries(
        plan,
        &alert,
        DeliveryEvent::Opened,
        observation.node.clone(),
    );
    ctx.store.queue_deliveries(&deliveries).await
}

async fn resolve(
    ctx: &Ctx<'_>,
    notices: &Notices<'_>,
    plan: &Plan<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(existing) = plan.existing else {
        return Ok(());
    };
    // `None`: a concurrent sync resolved it and notifies.
    let Some(alert) = ctx.store.resolve_alert(existing.id, now).await? else {
        return Ok(());
    };
    let deliveries = notices.deliveries(plan, &alert, DeliveryEvent::Resolved, None);
    ctx.store.queue_deliveries(&deliveries).await
}

async fn refresh(
    ctx: &Ctx<'_>,
    plan: &Plan<'_>,
    observation: &Observation,
) -> Result<(), StoreError> {
    let Some(existing) = plan.existing else {
        return Ok(());
    };
    if existing.message == observation.message && existing.details == observation.details {
        return Ok(());
    }
    ctx.store
        .refresh_alert(existing.id, &observation.message, &observation.details)
        .await
}

/// What notifications are built from.
struct Notices<'a> {
    provider: &'a Provider,
    names: &'a HashMap<Uuid, WorkflowRef>,
    kinds: &'a HashMap<Uuid, ChannelKind>,
    app_base: Url,
}

impl Notices<'_> {
    /// The workflow's name, else the instance's.
    fn label(&self, subject: &Subject) -> String {
        match subject {
            Subject::Workflow { id, .. } => self
                .names
                .get(id)
                .map_or_else(|| subject.key(), |workflow| workflow.name.clone()),
            Subject::Instance { .. } => self.provider.name.clone(),
        }
    }

    /// One pending delivery of `alert` per channel of the plan's rule (channels deleted since
    /// the rule was read are skipped).
    fn deliveries(
        &self,
        plan: &Plan<'_>,
        alert: &AlertRow,
        event: DeliveryEvent,
        node: Option<NodeRef>,
    ) -> Vec<DeliveryInsert> {
        let workflow = match plan.subject {
            Subject::Workflow { id, .. } => self.names.get(&id),
            Subject::Instance { .. } => None,
        };
        let notice = AlertNotice {
            event,
            alert_id: Some(alert.id),
            rule_id: Some(plan.rule.id),
            rule_name: plan.rule.name.clone(),
            kind: plan.rule.kind,
            subject: plan.subject,
            workflow_name: workflow.map(|w| w.name.clone()),
            n8n_workflow_id: workflow.map(|w| w.n8n_workflow_id.clone()),
            instance_name: Some(self.provider.name.clone()),
            node,
            message: alert.message.clone(),
            details: alert.details.clone(),
            opened_at: alert.opened_at,
            resolved_at: alert.resolved_at,
        };
        plan.rule
            .channels
            .iter()
            .filter_map(|channel| {
                let kind = *self.kinds.get(channel)?;
                Some(DeliveryInsert {
                    user_id: self.provider.user_id,
                    alert_id: alert.id,
                    channel_id: *channel,
                    event,
                    payload: delivery_payload(kind, &notice, &self.app_base).to_json(),
                })
            })
            .collect()
    }
}

/// Where alert links point: `APP_URL`, else the app's origin taken from the origins allowed
/// to call the function (the app is the one that does); a placeholder when neither is set.
fn app_base(app_url: Option<&str>, allowed_origins: &[String]) -> Url {
    app_url
        .into_iter()
        .chain(
            allowed_origins
                .iter()
                .map(String::as_str)
                .filter(|origin| *origin != "*"),
        )
        .find_map(|url| Url::parse(url).ok().filter(Url::has_host))
        .unwrap_or_else(|| Url::parse("https://flowpulse.invalid/").expect("a valid URL"))
}

#[cfg(test)]
mod tests {
    use super::app_base;

    #[test]
    fn alert_links_point_into_app_url_else_the_first_real_allowed_origin() {
        let origins = ["*".to_string(), "https://app.example.com".to_string()];
        assert_eq!(
            app_base(Some("https://flowpulse.example.com/app/"), &origins).as_str(),
            "https://flowpulse.example.com/app/"
        );
        assert_eq!(
            app_base(None, &origins).as_str(),
            "https://app.example.com/"
        );
        assert_eq!(
            app_base(None, &["*".to_string()]).as_str(),
            "https://flowpulse.invalid/"
        );
    }
}
