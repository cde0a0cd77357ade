//! Cloudflare runs the worker's cron triggers in production; locally `cargo xtask dev` fires the
//! same schedules (from `edge-function/wrangler.toml`) through the cron hook.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use std::path::Path;

/// The cron expressions of `[triggers] crons` in a wrangler.toml.
pub fn schedules(wrangler_toml: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(wrangler_toml)
        .with_context(|| format!("read {}", wrangler_toml.display()))?;
    let parsed: toml::Table = text.parse().context("parse wrangler.toml")?;
    let crons = parsed
        .get("triggers")
        .and_then(|t| t.get("crons"))
        .and_then(|c| c.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(crons)
}

/// The earliest next firing after `now` among `crons`, with the expression that fires.
pub fn next_firing(
    crons: &[String],
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, String)>> {
    let mut best: Option<(DateTime<Utc>, String)> = None;
    for expression in crons {
        let cron: croner::Cron = expression
            .parse()
            .with_context(|| format!("bad cron expression {expression:?}"))?;
        let next = cron
            .find_next_occurrence(&now, false)
            .with_context(|| format!("no next time for {expression:?}"))?;
        if best.as_ref().is_none_or(|(at, _)| next < *at) {
            best = Some((next, expression.clone()));
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soonest_schedule_fires_first() {
        let now: DateTime<Utc> = "2026-11-22T03:10:00Z".parse().unwrap();
        let crons = vec!["17 3 * * *".to_string(), "*/15 * * * *".to_string()];
        let (at, which) = next_firing(&crons, now).unwrap().unwrap();
        assert_eq!(
            (at.to_rfc3339(), which.as_str()),
            ("2026-11-22T03:15:00+00:00".to_string(), "*/15 * * * *")
        );
        let later: DateTime<Utc> = "2026-11-22T03:15:30Z".parse().unwrap();
        let (at, which) = next_firing(&crons, later).unwrap().unwrap();
        assert_eq!(
            (at.to_rfc3339(), which.as_str()),
            ("2026-11-22T03:17:00+00:00".to_string(), "17 3 * * *")
        );
    }

    #[test]
    fn the_projects_wrangler_toml_has_valid_schedules() {
        let crons =
            schedules(&crate::config::repo_root().join("edge-function/wrangler.toml")).unwrap();
        assert!(!crons.is_empty());
        assert!(next_firing(&crons, Utc::now()).unwrap().is_some());
    }
}
