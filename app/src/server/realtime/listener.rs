//! The hub's single `LISTEN flowpulse_changes` connection, re-established with backoff.

use super::RealtimeHub;
use flowpulse_pg::DatabaseUrl;
use futures::channel::mpsc;
use futures::StreamExt;
use std::time::Duration;
use tokio_postgres::AsyncMessage;

/// The channel `notify_flowpulse_change()` notifies on.
const CHANNEL: &str = "flowpulse_changes";
/// First retry delay after the connection drops.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Retry delays never grow past this.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The delay after `current`: doubled, capped.
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(MAX_RETRY)
}

/// Runs forever: listens, publishes notifications to the hub, and reconnects when the
/// connection is lost. After each (re)connect the hub tells every browser to refetch, since
/// notifications sent while it was down are gone.
pub async fn run(hub: RealtimeHub, database_url: DatabaseUrl) {
    let mut retry = FIRST_RETRY;
    loop {
        match listen(&hub, &database_url, &mut retry).await {
            Ok(()) => tracing::warn!("realtime connection closed; reconnecting"),
            Err(error) => tracing::warn!(%error, ?retry, "realtime connection failed; retrying"),
        }
        hub.set_listening(false);
        tokio::time::sleep(retry).await;
        retry = next_backoff(retry);
    }
}

/// Why the LISTEN connection ended: it could not be opened (with the TLS `sslmode` asks
/// for), or it broke afterwards.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error(transparent)]
    Connect(#[from] flowpulse_pg::Error),
    #[error("connection lost: {0}")]
    Lost(#[from] tokio_postgres::Error),
}

async fn listen(
    hub: &RealtimeHub,
    database_url: &DatabaseUrl,
    retry: &mut Duration,
) -> Result<(), ListenError> {
    let (client, mut connection) = flowpulse_pg::connect(database_url).await?;
    // The connection must be polled for the LISTEN below to complete at all, so a task pumps
    // its messages into a channel while this function issues the command.
    let (sender, mut messages) = mpsc::unbounded();
    let pump = tokio::spawn(async move {
        while let Some(message) = futures::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if sender.unbounded_send(message).is_err() {
                break;
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    hub.set_listening(true);
    *retry = FIRST_RETRY;
    tracing::info!("realtime: listening on {CHANNEL}");
    hub.broadcast_resync();
    while let Some(message) = messages.next().await {
        match message {
            Ok(AsyncMessage::Notification(notification)) if notification.channel() == CHANNEL => {
                hub.publish(notification.payload());
            }
            Ok(_) => {}
            Err(error) => {
                pump.abort();
                return Err(error.into());
            }
        }
    }
    pump.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        assert_eq!(next_backoff(FIRST_RETRY), Duration::from_secs(1));
        assert_eq!(next_backoff(Duration::from_secs(1)), Duration::from_secs(2));
        assert_eq!(next_backoff(Duration::from_secs(20)), MAX_RETRY);
        assert_eq!(next_backoff(MAX_RETRY), MAX_RETRY);
    }
}
