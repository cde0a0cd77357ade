use super::*;
use axum::http::{header, HeaderValue};
use futures::future::BoxFuture;
use std::sync::atomic::{AtomicUsize, Ordering};

const SECRET: &str = "a-test-secret-that-is-at-least-32-chars";
const NOW: i64 = 1_800_000_000;
const ADA: Uuid = Uuid::from_u128(0xA);
const BOB: Uuid = Uuid::from_u128(0xB);
const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// Sessions in a map; counts lookups so caching can be seen.
#[derive(Default)]
struct MemoryStore {
    rows: Mutex<HashMap<Uuid, (StoredSession, bool)>>,
    lookups: AtomicUsize,
}

impl MemoryStore {
    fn rows(&self) -> MutexGuard<'_, HashMap<Uuid, (StoredSession, bool)>> {
        self.rows.lock().unwrap()
    }
}

impl SessionStore for MemoryStore {
    fn create(
        &self,
        user_id: Uuid,
        expires_at: i64,
    ) -> BoxFuture<'_, Result<StoredSession, AuthError>> {
        let stored = StoredSession {
            id: Uuid::new_v4(),
            user_id,
            expires_at,
        };
        self.rows().insert(stored.id, (stored, false));
        Box::pin(async move { Ok(stored) })
    }

    fn find_unrevoked(&self, id: Uuid) -> BoxFuture<'_, Result<Option<StoredSession>, AuthError>> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let found = self
            .rows()
            .get(&id)
            .filter(|(_, revoked)| !revoked)
            .map(|(stored, _)| *stored);
        Box::pin(async move { Ok(found) })
    }

    fn touch(&self, id: Uuid) -> BoxFuture<'_, Result<bool, AuthError>> {
        let live = self.rows().get(&id).is_some_and(|(_, revoked)| !revoked);
        Box::pin(async move { Ok(live) })
    }

    fn revoke(&self, id: Uuid) -> BoxFuture<'_, Result<(), AuthError>> {
        if let Some(row) = self.rows().get_mut(&id) {
            row.1 = true;
        }
        Box::pin(async { Ok(()) })
    }

    fn revoke_all(&self, user_id: Uuid) -> BoxFuture<'_, Result<(), AuthError>> {
        for row in self.rows().values_mut() {
            if row.0.user_id == user_id {
                row.1 = true;
            }
        }
        Box::pin(async { Ok(()) })
    }
}

fn manager(max_age: Duration) -> (SessionManager, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let manager = SessionManager::new(
        SessionKeys::new(SECRET),
        store.clone(),
        SessionCookie::new(false),
        max_age,
    );
    (manager, store)
}

/// The request headers of a browser holding the cookie of `set_cookie`.
fn browser(set_cookie: &str) -> HeaderMap {
    let pair = set_cookie.split(';').next().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
    headers
}

fn max_age(set_cookie: &str) -> i64 {
    set_cookie
        .split("; ")
        .find_map(|part| part.strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap()
}

async fn live(manager: &SessionManager, headers: &HeaderMap, now: i64) -> Option<Session> {
    match manager.authenticate(headers, now).await.unwrap() {
        Presented::Live(session) => Some(session),
        _ => None,
    }
}

async fn sign_in(manager: &SessionManager, user: Uuid) -> (HeaderMap, Session) {
    let cookie = manager.start(user, "user@example.com", NOW).await.unwrap();
    let headers = browser(&cookie);
    let session = live(manager, &headers, NOW)
        .await
        .expect("a fresh session is live");
    (headers, session)
}

#[tokio::test]
async fn a_started_session_is_live_and_carries_its_row_and_end() {
    let (manager, store) = manager(WEEK);
    let (_, session) = sign_in(&manager, ADA).await;
    assert_eq!(session.user_id(), ADA);
    assert_eq!(session.ends_at, NOW + WEEK.as_secs() as i64);
    assert_eq!(session.claims.exp, NOW + 3600);
    assert!(store.rows().contains_key(&session.id()));
}

#[tokio::test]
async fn no_cookie_is_no_session_and_a_bad_cookie_is_an_ended_one() {
    let (manager, _) = manager(WEEK);
    assert!(matches!(
        manager.authenticate(&HeaderMap::new(), NOW).await.unwrap(),
        Presented::NoCookie
    ));
    let forged = browser("flowpulse_session=not-a-token");
    assert!(matches!(
        manager.authenticate(&forged, NOW).await.unwrap(),
        Presented::Ended
    ));
}

#[tokio::test]
async fn a_signed_out_session_is_refused_at_once_although_it_was_cached() {
    let (manager, _) = manager(WEEK);
    let (headers, session) = sign_in(&manager, ADA).await;
    assert!(live(&manager, &headers, NOW).await.is_some(), "cached now");
    manager.end(&session).await.unwrap();
    assert!(live(&manager, &headers, NOW).await.is_none());
    assert_eq!(manager.refresh(&session, NOW + 3000).await.unwrap(), None);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_user_only() {
    let (manager, _) = manager(WEEK);
    let (laptop, _) = sign_in(&manager, ADA).await;
    let (phone, _) = sign_in(&manager, ADA).await;
    let (bob, _) = sign_in(&manager, BOB).await;
    manager.end_everywhere(ADA).await.unwrap();
    assert!(live(&manager, &laptop, NOW).await.is_none());
    assert!(live(&manager, &phone, NOW).await.is_none());
    assert!(live(&manager, &bob, NOW).await.is_some());
}

#[tokio::test]
async fn lookups_within_the_cache_window_do_not_reach_the_store() {
    let (manager, store) = manager(WEEK);
    let (headers, _) = sign_in(&manager, ADA).await;
    for _ in 0..5 {
        assert!(live(&manager, &headers, NOW).await.is_some());
    }
    assert_eq!(store.lookups.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_session_is_refused_from_its_absolute_end_on_whatever_its_token_says() {
    let (manager, _) = manager(Duration::from_secs(600));
    let (headers, session) = sign_in(&manager, ADA).await;
    assert_eq!(
        session.claims.exp,
        NOW + 600,
        "the token ends with the session"
    );
    assert!(live(&manager, &headers, NOW + 599).await.is_some());
    // A token claiming a longer life (signed with the shared secret) does not outlive the row.
    let mut claims = session.claims.clone();
    claims.user_mut().exp = NOW + 3600;
    let token = SessionKeys::new(SECRET).mint(&claims).unwrap();
    let longer = browser(&format!("flowpulse_session={token}"));
    assert!(live(&manager, &longer, NOW + 599).await.is_some());
    assert!(live(&manager, &longer, NOW + 600).await.is_none());
}

#[tokio::test]
async fn a_refresh_extends_the_token_but_never_past_the_sessions_end() {
    let (manager, _) = manager(Duration::from_secs(5400));
    let (_, session) = sign_in(&manager, ADA).await;
    assert_eq!(
        manager.refresh(&session, NOW + 1000).await.unwrap(),
        None,
        "not due yet"
    );
    let fresh = manager
        .refresh(&session, NOW + 2000)
        .await
        .unwrap()
        .expect("due");
    assert_eq!(
        max_age(&fresh),
        3400,
        "capped at the session's end, NOW + 5400"
    );
    let refreshed = live(&manager, &browser(&fresh), NOW + 2000).await.unwrap();
    assert_eq!(refreshed.claims.exp, NOW + 5400);
    assert_eq!(refreshed.id(), session.id());
    assert_eq!(manager.refresh(&refreshed, NOW + 5000).await.unwrap(), None);
}

#[tokio::test]
async fn a_token_naming_another_users_session_is_refused() {
    let (manager, _) = manager(WEEK);
    let (_, ada) = sign_in(&manager, ADA).await;
    let mut claims = ada.claims.clone();
    claims.user_mut().sub = BOB;
    let token = SessionKeys::new(SECRET).mint(&claims).unwrap();
    let headers = browser(&format!("flowpulse_session={token}"));
    assert!(live(&manager, &headers, NOW).await.is_none());
}

#[tokio::test]
async fn open_streams_hear_which_sessions_ended() {
    let (manager, _) = manager(WEEK);
    let (_, first) = sign_in(&manager, ADA).await;
    let (_, second) = sign_in(&manager, ADA).await;
    let mut revocations = manager.revocations();
    manager.end(&first).await.unwrap();
    let revoked = revocations.try_recv().unwrap();
    assert!(revoked.ends(&first));
    assert!(!revoked.ends(&second));
    manager.end_everywhere(ADA).await.unwrap();
    assert!(revocations.try_recv().unwrap().ends(&second));
    assert!(!manager.is_live(&second, NOW).await.unwrap());
}
