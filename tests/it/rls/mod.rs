//! The row-level-security matrix, through PostgREST over HTTP with real JWTs: every table ×
//! select/insert/update/delete/upsert × {user A, user B, anon, service_role, expired, forged}.
//!
//! `isolation`: one user against another's rows; `references`: every foreign key tried
//! against another user's rows; `roles`: anon, bad tokens, service_role,
//! metadata tables, RPC functions and the RLS catalogue check.

mod isolation;
mod listing_progress;
mod references;
mod roles;
mod sync_claims;

use crate::helpers::postgrest::{Auth, Reply, Rest};
use crate::helpers::{spawn_stack, TestStack, TestUser};
use serde_json::{json, Value};
use uuid::Uuid;

/// The tables that hold one user's data (each has `user_id`).
const USER_TABLES: [&str; 13] = [
    "providers",
    "mvp_workflows",
    "executions",
    "sync_logs",
    "credentials",
    "conversations",
    "chat_messages",
    "workflow_deployments",
    "alert_channels",
    "alert_rules",
    "alerts",
    "alert_deliveries",
    "execution_periods",
];

struct Fixture {
    stack: TestStack,
    rest: Rest,
    a: TestUser,
    b: TestUser,
    provider_a: Uuid,
    provider_b: Uuid,
    /// Two conversations per user (A's, then B's): the first holds the seeded messages and
    /// deployment, the second is for rows the tests insert.
    conversations: [[Uuid; 2]; 2],
    /// Each user's seeded (alert rule, alert channel).
    alerts: [(Uuid, Uuid); 2],
}

impl Fixture {
    async fn new() -> Fixture {
        let stack = spawn_stack().await;
        let rest = Rest::new(&stack.postgrest_url);
        let a = stack.create_user("a@example.com").await;
        let b = stack.create_user("b@example.com").await;
        let provider_a = seed_provider(&stack, a.id).await;
        let provider_b = seed_provider(&stack, b.id).await;
        let fixture = Fixture {
            stack,
            rest,
            a,
            b,
            provider_a,
            provider_b,
            conversations: [
                [Uuid::new_v4(), Uuid::new_v4()],
                [Uuid::new_v4(), Uuid::new_v4()],
            ],
            alerts: [
                (Uuid::new_v4(), Uuid::new_v4()),
                (Uuid::new_v4(), Uuid::new_v4()),
            ],
        };
        for user in [&fixture.a, &fixture.b] {
            let provider = fixture.provider_of(user);
            for index in 0..2 {
                let conversation = json!({"id": fixture.conversation(user.id, index),
                                          "user_id": user.id, "title": "Chat"});
                fixture
                    .superuser_insert("conversations", &conversation)
                    .await;
            }
            let (rule, channel) = fixture.alert_refs(user.id);
            let rule =
                json!({"id": rule, "user_id": user.id, "name": "Failures", "kind": "failure"});
            fixture.superuser_insert("alert_rules", &rule).await;
            let channel = json!({"id": channel, "user_id": user.id, "name": "Hook",
                                 "kind": "webhook", "target_ciphertext": "f2.1:x"});
            fixture.superuser_insert("alert_channels", &channel).await;
            let seeded = [
                "mvp_workflows",
                "executions",
                "sync_logs",
                "credentials",
                "chat_messages",
                "alerts",
                "alert_deliveries",
                "execution_periods",
            ];
            for table in seeded {
                let body = fixture.new_row(table, user.id, provider);
                fixture.superuser_insert(table, &body).await;
            }
            let deployment = json!({"user_id": user.id, "provider_id": provider,
                                    "conversation_id": fixture.conversation(user.id, 0)});
            fixture
                .superuser_insert("workflow_deployments", &deployment)
                .await;
        }
        fixture
    }

    /// `owner`'s seeded (alert rule, alert channel).
    fn alert_refs(&self, owner: Uuid) -> (Uuid, Uuid) {
        self.alerts[usize::from(owner != self.a.id)]
    }

    /// Conversation `index` (0 or 1) of `owner`.
    fn conversation(&self, owner: Uuid, index: usize) -> Uuid {
        let user = usize::from(owner != self.a.id);
        self.conversations[user][index]
    }

    fn provider_of(&self, user: &TestUser) -> Uuid {
        if user.id == self.a.id {
            self.provider_a
        } else {
            self.provider_b
        }
    }

    /// A valid new row of `table` for `owner` on `provider`.
    fn new_row(&self, table: &str, owner: Uuid, provider: Uuid) -> Value {
        let unique = Uuid::new_v4().simple().to_string();
        match table {
            "providers" => json!({"user_id": owner, "name": format!("n8n {unique}"),
                                  "base_url": "http://n8n.example.com", "api_key_ciphertext": "f2.1:x"}),
            "mvp_workflows" => json!({"user_id": owner, "provider_id": provider,
                                      "n8n_workflow_id": unique, "name": "Workflow"}),
            "executions" => {
                json!({"user_id": owner, "provider_id": provider, "n8n_workflow_id": "wf",
                                   "n8n_execution_id": rand_id(), "status": "success"})
            }
            "sync_logs" => {
                json!({"user_id": owner, "provider_id": provider, "sync_type": "manual"})
            }
            "migration_metadata" => {
                json!({"migration_file": format!("{unique}.sql"), "source": "dev"})
            }
            "credentials" => json!({"user_id": owner, "name": format!("cred {unique}"),
                                    "credential_type": "slackApi", "secret_ciphertext": "f2.1:x"}),
            "conversations" => json!({"user_id": owner, "title": format!("Chat {unique}")}),
            "chat_messages" => json!({"user_id": owner, "role": "user", "content": "hello",
                                      "conversation_id": self.conversation(owner, 0)}),
            // The second conversation: the first already has a deployment on this provider.
            "workflow_deployments" => json!({"user_id": owner, "provider_id": provider,
                                             "conversation_id": self.conversation(owner, 1)}),
            "alert_channels" => json!({"user_id": owner, "name": format!("channel {unique}"),
                                       "kind": "webhook", "target_ciphertext": "f2.1:x"}),
            "alert_rules" => json!({"user_id": owner, "name": format!("rule {unique}"),
                                    "kind": "failure"}),
            "alerts" => json!({"user_id": owner, "rule_id": self.alert_refs(owner).0,
                               "subject": format!("workflow:{unique}"), "message": "Failed"}),
            "alert_deliveries" => json!({"user_id": owner, "channel_id": self.alert_refs(owner).1,
                                         "event": "test"}),
            "execution_periods" => json!({"user_id": owner, "provider_id": provider,
                                          "width": "1 day",
                                          "starts_at": format!("2025-{:02}-{:02}T00:00:00Z",
                                                               1 + rand_id() % 12,
                                                               1 + rand_id() % 28)}),
            other => panic!("no row shape for {other}"),
        }
    }

    async fn superuser_insert(&self, table: &str, row: &Value) {
        // Only the given columns, so the others take their defaults (ids, timestamps).
        let columns: Vec<&String> = row.as_object().expect("row object").keys().collect();
        let list = columns
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        self.stack
            .db
            .execute(
                &format!(
                    "insert into public.{table} ({list}) select {list}
                     from json_populate_record(null::public.{table}, $1::text::json)"
                ),
                &[&row.to_string()],
            )
            .await
            .unwrap_or_else(|e| panic!("seed {table}: {e:?}"));
    }

    /// Ids of `owner`'s rows in `table`, read as superuser (the ground truth).
    async fn ids_of(&self, table: &str, owner: Uuid) -> Vec<String> {
        self.stack
            .db
            .query(
                &format!("select id::text from public.{table} where user_id = $1 order by id"),
                &[&owner],
            )
            .await
            .expect("superuser select")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// A row of `table` as superuser, to compare before/after an attempted change.
    async fn snapshot(&self, table: &str, id: &str) -> Option<String> {
        self.stack
            .db
            .query_opt(
                &format!("select to_jsonb(t)::text from public.{table} t where id::text = $1"),
                &[&id],
            )
            .await
            .expect("snapshot")
            .map(|r| r.get(0))
    }

    fn user(&self, user: &TestUser) -> Auth {
        Auth::Bearer(user.token.clone())
    }
}

async fn seed_provider(stack: &TestStack, owner: Uuid) -> Uuid {
    stack
        .db
        .query_one(
            "insert into public.providers (user_id, name, base_url, api_key_ciphertext)
             values ($1, 'main', 'http://n8n.example.com', 'f2.1:x') returning id",
            &[&owner],
        )
        .await
        .expect("seed provider")
        .get(0)
}

fn rand_id() -> i64 {
    i64::from(Uuid::new_v4().as_fields().0 >> 1)
}

/// `POST rpc/<function>` with `body`, as `auth`.
async fn call(f: &Fixture, function: &str, auth: &Auth, body: Value) -> Reply {
    f.rest.rpc(function, auth, body).await
}

fn refused(reply: &Reply) -> bool {
    // postrust answers an RLS/privilege refusal with 401 where PostgREST answers 403; the
    // PostgreSQL code is what both agree on.
    !reply.status.is_success()
}

fn conflict_target(table: &str) -> &'static str {
    match table {
        "mvp_workflows" => "provider_id,n8n_workflow_id",
        "executions" => "provider_id,n8n_execution_id",
        _ => "id",
    }
}

fn patch_for(table: &str) -> Value {
    match table {
        "providers" => json!({"name": "hijacked"}),
        "mvp_workflows" => json!({"name": "hijacked", "execution_count": 999}),
        "executions" => json!({"status": "error"}),
        "sync_logs" => json!({"status": "error", "error_message": "hijacked"}),
        "credentials" => json!({"name": "hijacked"}),
        "conversations" => json!({"title": "hijacked"}),
        "chat_messages" => json!({"content": "hijacked"}),
        "workflow_deployments" => json!({"status": "failed", "error": "hijacked"}),
        "alert_channels" => json!({"name": "hijacked"}),
        "alert_rules" => json!({"enabled": false}),
        "alerts" => json!({"state": "resolved", "message": "hijacked"}),
        "alert_deliveries" => json!({"status": "delivered"}),
        "execution_periods" => json!({"succeeded": 999}),
        other => panic!("no patch for {other}"),
    }
}
