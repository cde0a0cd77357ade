//! One module per page, plus the pieces several pages share.

pub mod chart_view;
pub mod dashboard;
pub mod executions;
pub mod provider_form;
pub mod providers;
pub mod query;
pub mod sign_in;
pub mod sync_logs;
pub mod workflow_table;
