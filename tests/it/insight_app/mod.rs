//! The insight pages of the app, over HTTP against a test stack, its worker and a fake n8n:
//! failures grouped and explained, an execution's detail and "Retry", the health badge and
//! page, and alert channels — stored encrypted, never echoed, refused when aimed inside the
//! network, out of other users' reach, and tested against a real receiver.

mod alerts;
mod browser;
mod durations;
mod email;
mod failures;
mod health;

use crate::builder_app::signed_up;
use crate::helpers::fake_n8n::FakeN8n;
use crate::helpers::TestUser;
use crate::security::app_site::{site, AppSite};
use uuid::Uuid;

/// A signed-up user with one instance on a fake n8n, one workflow synced with a success and a
/// failure, and the failure's details as the sync would have stored them from n8n's run data.
pub struct Failed {
    pub site: AppSite,
    pub fake: FakeN8n,
    pub cookie: String,
    pub user: TestUser,
    pub provider: Uuid,
    pub n8n_workflow: String,
    /// `executions.id` of the failed execution.
    pub execution: i64,
    /// n8n's id of it.
    pub n8n_execution: u64,
}

pub const ERROR: &str = "Order 7 has no customer";
pub const NODE: &str = "Check order";
pub const NODE_TYPE: &str = "n8n-nodes-base.code";

impl Failed {
    pub async fn new(email: &str) -> Failed {
        let site = site().await;
        let fake = FakeN8n::start().await;
        let cookie = signed_up(&site, email).await;
        let user = site.user(email).await;
        let provider = site
            .stack
            .add_provider(&user, "Production", &fake.url, &fake.api_key)
            .await;
        let n8n_workflow = fake.add_workflow("Order sync");
        fake.add_execution(&n8n_workflow, "success");
        let n8n_execution = fake.add_execution(&n8n_workflow, "error");
        site.worker.sync_all(&user.token).await;
        // The fake's executions carry no run data: the details n8n's would have given.
        let execution: i64 = site
            .stack
            .db
            .query_one(
                "update public.executions
                 set error_message = $1, error_node = $2, error_node_type = $3,
                     error_description = 'The Code node threw an error.'
                 where provider_id = $4 and n8n_execution_id = $5
                 returning id",
                &[
                    &ERROR,
                    &NODE,
                    &NODE_TYPE,
                    &provider,
                    &i64::try_from(n8n_execution).unwrap(),
                ],
            )
            .await
            .expect("the failed execution was synced")
            .get(0);
        Failed {
            site,
            fake,
            cookie,
            user,
            provider,
            n8n_workflow,
            execution,
            n8n_execution,
        }
    }
}
