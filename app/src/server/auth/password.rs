//! argon2id password hashes, computed off the async workers and a bounded number at a time.
//!
//! One hash costs tens of milliseconds of CPU and 19 MiB (the crate's defaults). On the async
//! workers it would stall every other request; unbounded on the blocking pool (512 threads) a
//! burst of sign-ins would take every core and gigabytes of memory. So hashes queue for a
//! permit, one per core.

use super::AuthError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::num::NonZeroUsize;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// Permits for concurrent hashes: as many as the machine has cores. Process-wide because the
/// cores are.
fn permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
            Arc::new(Semaphore::new(cores))
        })
        .clone()
}

/// Runs `work` on the blocking pool once `limit` grants a permit. The permit moves into the
/// blocking task, so a caller that gives up waiting (the browser went away) does not free its
/// core before the hash is actually done.
async fn bounded<T: Send + 'static>(
    limit: Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuthError> {
    let permit = limit.acquire_owned().await.map_err(unavailable)?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(permit);
        result
    })
    .await
    .map_err(unavailable)
}

/// A PHC string of `password` with a fresh salt.
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    bounded(permits(), move || {
        let salt = SaltString::generate(&mut rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(unavailable)
    })
    .await?
}

/// Checks a password against a PHC string; the parameters come from the string itself.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AuthError> {
    bounded(permits(), move || {
        let parsed = PasswordHash::new(&hash).map_err(unavailable)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

/// A hash of a random password, verified against when an email is unknown, so response times
/// do not reveal which emails are registered.
pub fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut rand_core::OsRng);
        Argon2::default()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

fn unavailable(error: impl std::fmt::Display) -> AuthError {
    AuthError::Unavailable(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = hash_password("correct horse 42".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse 42".into(), hash.clone())
            .await
            .unwrap());
        assert!(!verify_password("correct horse 43".into(), hash)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn the_dummy_hash_is_a_valid_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify_password("anything1".into(), dummy_hash().into())
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_there_are_permits() {
        let limit = Arc::new(Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            bounded(limit.clone(), move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        for result in futures::future::join_all(jobs).await {
            result.unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!((1..=2).contains(&most), "{most} hashes ran at once");
    }
}
