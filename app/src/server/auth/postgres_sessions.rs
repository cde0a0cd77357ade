//! Sessions in `flowpulse_private.app_sessions` over the accounts' connection (a schema
//! PostgREST does not serve and the API roles have no privilege on).

use super::postgres::{database_unavailable, PostgresAuth};
use super::sessions::{SessionStore, StoredSession};
use super::AuthError;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use uuid::Uuid;

impl PostgresAuth {
    async fn create_session(
        &self,
        user_id: Uuid,
        expires_at: i64,
    ) -> Result<StoredSession, AuthError> {
        let expires_at = DateTime::<Utc>::from_timestamp(expires_at, 0)
            .ok_or_else(|| AuthError::Unavailable(format!("expiry {expires_at} out of range")))?;
        let client = self.client().await?;
        // The user's dead rows go in the same statement, so the table stays as small as the
        // number of live sessions without a cleanup job.
        let row = client
            .query_one(
                "with pruned as (
                   delete from flowpulse_private.app_sessions
                   where user_id = $1 and (revoked_at is not null or expires_at < now())
                 )
                 insert into flowpulse_private.app_sessions (user_id, expires_at)
                 values ($1, $2)
                 returning id, expires_at",
                &[&user_id, &expires_at],
            )
            .await
            .map_err(database_unavailable)?;
        Ok(StoredSession {
            id: row.get(0),
            user_id,
            expires_at: row.get::<_, DateTime<Utc>>(1).timestamp(),
        })
    }

    async fn find_session(&self, id: Uuid) -> Result<Option<StoredSession>, AuthError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select user_id, expires_at from flowpulse_private.app_sessions
                 where id = $1 and revoked_at is null",
                &[&id],
            )
            .await
            .map_err(database_unavailable)?;
        Ok(row.map(|row| StoredSession {
            id,
            user_id: row.get(0),
            expires_at: row.get::<_, DateTime<Utc>>(1).timestamp(),
        }))
    }

    async fn execute(&self, statement: &str, id: &Uuid) -> Result<u64, AuthError> {
        self.client()
            .await?
            .execute(statement, &[id])
            .await
            .map_err(database_unavailable)
    }
}

impl SessionStore for PostgresAuth {
    fn create(
        &self,
        user_id: Uuid,
        expires_at: i64,
    ) -> BoxFuture<'_, Result<StoredSession, AuthError>> {
        Box::pin(self.create_session(user_id, expires_at))
    }

    fn find_unrevoked(&self, id: Uuid) -> BoxFuture<'_, Result<Option<StoredSession>, AuthError>> {
        Box::pin(self.find_session(id))
    }

    fn touch(&self, id: Uuid) -> BoxFuture<'_, Result<bool, AuthError>> {
        Box::pin(async move {
            let updated = self
                .execute(
                    "update flowpulse_private.app_sessions set last_refreshed_at = now()
                     where id = $1 and revoked_at is null",
                    &id,
                )
                .await?;
            Ok(updated == 1)
        })
    }

    fn revoke(&self, id: Uuid) -> BoxFuture<'_, Result<(), AuthError>> {
        Box::pin(async move {
            self.execute(
                "update flowpulse_private.app_sessions set revoked_at = now()
                 where id = $1 and revoked_at is null",
                &id,
            )
            .await
            .map(drop)
        })
    }

    fn revoke_all(&self, user_id: Uuid) -> BoxFuture<'_, Result<(), AuthError>> {
        Box::pin(async move {
            self.execute(
                "update flowpulse_private.app_sessions set revoked_at = now()
                 where user_id = $1 and revoked_at is null",
                &user_id,
            )
            .await
            .map(drop)
        })
    }
}
