//! One module per page, plus the pieces several pages share.

pub mod alert_forms;
pub mod alerts;
pub mod chart_view;
pub mod chat;
pub mod chat_controls;
pub mod credential_form;
pub mod credentials;
pub mod dashboard;
pub mod execution_detail;
pub mod executions;
pub mod failures;
pub mod health;
pub mod plan_graph;
pub mod provider_form;
pub mod providers;
pub mod query;
pub mod sign_in;
pub mod sync_logs;
pub mod workflow_table;
