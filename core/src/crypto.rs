//! Encryption of secrets stored in the database: n8n API keys, users' n8n credentials and
//! alert channels' targets.
//!
//! Current format: `f2.<key version>:<base64url-no-pad(nonce ‖ ciphertext ‖ tag)>`, AES-256-GCM
//! with a random 96-bit nonce and *associated data* naming what the secret belongs to (a
//! [`SecretBinding`]: for an API key, the provider row's id and the origin of its URL). A value
//! copied into another row, or kept while the row's URL moves to another host, fails
//! authentication instead of handing the key to someone else.
//!
//! Legacy format: `v<key version>:<base64url>` without associated data, written before
//! bindings existed. It stays readable so nothing breaks, [`KeyRing::needs_reencryption`] flags
//! it, and the database refuses to store new values in it.
//!
//! The key version names the key, so keys can be rotated: new values use the current key while
//! values written under older keys stay readable until re-encrypted.
//!
//! Nothing here ever prints key material or plaintext: errors carry no data beyond a key
//! version, and [`KeyRing`]'s `Debug` lists versions only.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::Payload;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use rand_core::CryptoRngCore;
use uuid::Uuid;

/// The version of the key new secrets are encrypted under, as every edge registers
/// `ENCRYPTION_KEY` (`FLOWPULSE_ENCRYPTION_KEY`).
pub const CURRENT_KEY_VERSION: u8 = 1;

/// Prefix of the current format (with associated data).
pub const FORMAT_PREFIX: &str = "f2.";

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a stored value could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The value names a key version this ring does not hold.
    #[error("no key for version {0}")]
    UnknownVersion(u8),
    /// The value is not in the `v<version>:<base64url>` format.
    #[error("malformed ciphertext")]
    Malformed,
    /// Authentication failed: the value was altered or was encrypted under another key.
    #[error("ciphertext failed authentication (tampered or wrong key)")]
    Tampered,
}

/// What a secret belongs to, authenticated with it as AES-GCM associated data: decrypting
/// under any other binding fails.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBinding(String);

impl SecretBinding {
    /// An n8n instance's API key: bound to its `providers` row and to the origin
    /// (`scheme://host[:port]`) it was entered for.
    pub fn provider_api_key(provider_id: Uuid, origin: &str) -> Self {
        Self(format!(
            "flowpulse/providers.api_key\0{provider_id}\0{origin}"
        ))
    }

    /// A user's n8n credential (its fields as JSON): bound to its `credentials` row and its
    /// n8n credential type, so the secrets of one type never fill in another.
    pub fn credential(credential_id: Uuid, credential_type: &str) -> Self {
        Self(format!(
            "flowpulse/credentials.secret\0{credential_id}\0{credential_type}"
        ))
    }

    /// An alert channel's target (a webhook URL or an email address): bound to its
    /// `alert_channels` row and kind, so a Slack URL copied into another channel, or kept
    /// while the row's kind changes, decrypts for neither.
    pub fn alert_channel(channel_id: Uuid, kind: &str) -> Self {
        Self(format!(
            "flowpulse/alert_channels.target\0{channel_id}\0{kind}"
        ))
    }
}

impl fmt::Debug for SecretBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecretBinding").field(&self.0).finish()
    }
}

/// Why a key could not be loaded from configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Neither standard nor URL-safe base64.
    #[error("encryption key is not valid base64")]
    InvalidBase64,
    /// Decoded to something other than 32 bytes.
    #[error("encryption key must be 32 bytes, got {0}")]
    WrongLength(usize),
    /// Two keys were given the same version.
    #[error("key version {0} is already in the ring")]
    DuplicateVersion(u8),
}

/// The current encryption key plus older keys kept for decryption during a rotation.
#[derive(Clone)]
pub struct KeyRing {
    current: u8,
    ciphers: BTreeMap<u8, Aes256Gcm>,
}

impl fmt::Debug for KeyRing {
    // Hand-written so keys can never reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current)
            .field("versions", &self.ciphers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Decodes a key given as base64, accepting both alphabets with or without padding, because
/// keys come from `openssl rand -base64 32` as often as from URL-safe generators.
fn decode_key(encoded: &str) -> Result<[u8; 32], KeyError> {
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let encoded = encoded.trim();
    let bytes = GeneralPurpose::new(&alphabet::STANDARD, config)
        .decode(encoded)
        .or_else(|_| GeneralPurpose::new(&alphabet::URL_SAFE, config).decode(encoded))
        .map_err(|_| KeyError::InvalidBase64)?;
    let len = bytes.len();
    bytes.try_into().map_err(|_| KeyError::WrongLength(len))
}

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
}

impl KeyRing {
    /// A ring whose current key is `key`, named `version`.
    pub fn new(version: u8, key: [u8; 32]) -> Self {
        Self {
            current: version,
            ciphers: BTreeMap::from([(version, cipher(&key))]),
        }
    }

    /// A ring whose current key is given as base64 (standard or URL-safe, padding optional).
    pub fn from_base64(current_version: u8, key: &str) -> Result<Self, KeyError> {
        Ok(Self::new(current_version, decode_key(key)?))
    }

    /// Adds an older key, only used to decrypt values written before a rotation.
    pub fn with_previous(mut self, version: u8, key: [u8; 32]) -> Result<Self, KeyError> {
        if self.ciphers.contains_key(&version) {
            return Err(KeyError::DuplicateVersion(version));
        }
        self.ciphers.insert(version, cipher(&key));
        Ok(self)
    }

    /// [`Self::with_previous`] with the key given as base64.
    pub fn with_previous_base64(self, version: u8, key: &str) -> Result<Self, KeyError> {
        self.with_previous(version, decode_key(key)?)
    }

    /// The version new values are encrypted under.
    pub fn current_version(&self) -> u8 {
        self.current
    }

    /// Encrypts `plaintext` for `binding` under the current key with a fresh random nonce.
    pub fn encrypt(
        &self,
        plaintext: &str,
        binding: &SecretBinding,
        rng: &mut impl CryptoRngCore,
    ) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: binding.0.as_bytes(),
        };
        let sealed = self.ciphers[&self.current]
            .encrypt(Nonce::from_slice(&nonce), payload)
            // AES-GCM only refuses plaintexts over 64 GiB, far beyond any secret we store.
            .expect("AES-GCM plaintext within its length limit");
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!(
            "{FORMAT_PREFIX}{}:{}",
            self.current,
            URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    /// Decrypts a stored value with the key its version names, checking it belongs to
    /// `binding` (legacy values carry no binding and are only checked for integrity).
    pub fn decrypt(&self, stored: &str, binding: &SecretBinding) -> Result<String, CryptoError> {
        let parsed = parse_stored(stored)?;
        let cipher = self
            .ciphers
            .get(&parsed.version)
            .ok_or(CryptoError::UnknownVersion(parsed.version))?;
        let (nonce, sealed) = parsed.bytes.split_at(NONCE_LEN);
        let aad: &[u8] = if parsed.bound {
            binding.0.as_bytes()
        } else {
            b""
        };
        let plaintext = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map_err(|_| CryptoError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| CryptoError::Malformed)
    }

    /// True if `stored` should be re-encrypted: written in the legacy format (no binding) or
    /// under an older key.
    pub fn needs_reencryption(&self, stored: &str) -> bool {
        parse_stored(stored).is_ok_and(|parsed| !parsed.bound || parsed.version != self.current)
    }
}

/// A stored value taken apart.
struct Stored {
    /// The key version.
    version: u8,
    /// Current format, with associated data.
    bound: bool,
    /// nonce ‖ ciphertext ‖ tag.
    bytes: Vec<u8>,
}

/// Splits `f2.<version>:<base64url>` or legacy `v<version>:<base64url>`.
fn parse_stored(stored: &str) -> Result<Stored, CryptoError> {
    let stored = stored.trim();
    let (bound, rest) = match stored.strip_prefix(FORMAT_PREFIX) {
        Some(rest) => (true, rest),
        None => (
            false,
            stored.strip_prefix('v').ok_or(CryptoError::Malformed)?,
        ),
    };
    let (version, encoded) = rest.split_once(':').ok_or(CryptoError::Malformed)?;
    // `u8::from_str` would accept a leading '+'; only plain digits are the format.
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CryptoError::Malformed);
    }
    let version: u8 = version.parse().map_err(|_| CryptoError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| CryptoError::Malformed)?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed);
    }
    Ok(Stored {
        version,
        bound,
        bytes,
    })
}

/// A display form of a secret showing only its last four characters, e.g. `••••abcd`.
///
/// Secrets shorter than 8 characters show nothing: four characters would be half of them.
pub fn last4(secret: &str) -> String {
    let chars: Vec<char> = secret.trim().chars().collect();
    if chars.len() < 8 {
        return "••••".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("••••{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{CryptoRng, RngCore};

    /// Deterministic stand-in for an OS RNG, so tests do no I/O and are reproducible.
    struct CountingRng(u8);

    impl RngCore for CountingRng {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for byte in dest {
                self.0 = self.0.wrapping_add(1);
                *byte = self.0;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl CryptoRng for CountingRng {}

    const SECRET: &str = "n8n_api_9f8e7d6c5b4a";

    fn ring(version: u8, fill: u8) -> KeyRing {
        KeyRing::new(version, [fill; 32])
    }

    fn binding() -> SecretBinding {
        SecretBinding::provider_api_key(Uuid::from_u128(1), "https://n8n.example.com")
    }

    /// A value in the legacy `v<version>:` format (no associated data), as stored before
    /// bindings existed.
    fn legacy(ring_fill: u8, version: u8) -> String {
        let cipher = cipher(&[ring_fill; 32]);
        let nonce = [9u8; NONCE_LEN];
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), SECRET.as_bytes())
            .unwrap();
        format!(
            "v{version}:{}",
            URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat())
        )
    }

    #[test]
    fn a_value_round_trips_and_names_its_key_version() {
        let ring = ring(3, 7);
        let stored = ring.encrypt(SECRET, &binding(), &mut CountingRng(0));
        assert!(stored.starts_with("f2.3:"));
        assert!(!stored.contains(SECRET));
        assert_eq!(ring.decrypt(&stored, &binding()).unwrap(), SECRET);
    }

    #[test]
    fn encrypting_the_same_text_twice_gives_different_values() {
        let ring = ring(1, 7);
        let mut rng = CountingRng(0);
        let first = ring.encrypt(SECRET, &binding(), &mut rng);
        let second = ring.encrypt(SECRET, &binding(), &mut rng);
        assert_ne!(first, second);
        assert_eq!(ring.decrypt(&second, &binding()).unwrap(), SECRET);
    }

    #[test]
    fn a_tampered_value_fails_authentication() {
        let ring = ring(1, 7);
        let stored = ring.encrypt(SECRET, &binding(), &mut CountingRng(0));
        let (prefix, encoded) = stored.split_once(':').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(encoded).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{prefix}:{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(
            ring.decrypt(&tampered, &binding()),
            Err(CryptoError::Tampered)
        );
    }

    #[test]
    fn a_different_key_with_the_same_version_fails_authentication() {
        let stored = ring(1, 7).encrypt(SECRET, &binding(), &mut CountingRng(0));
        assert_eq!(
            ring(1, 8).decrypt(&stored, &binding()),
            Err(CryptoError::Tampered)
        );
    }

    #[test]
    fn after_rotation_old_values_still_decrypt_and_new_ones_use_the_new_key() {
        let old_value = ring(1, 7).encrypt(SECRET, &binding(), &mut CountingRng(0));
        let rotated = ring(2, 9).with_previous(1, [7; 32]).unwrap();
        assert_eq!(rotated.decrypt(&old_value, &binding()).unwrap(), SECRET);
        assert!(rotated.needs_reencryption(&old_value));
        let new_value = rotated.encrypt(SECRET, &binding(), &mut CountingRng(0));
        assert!(new_value.starts_with("f2.2:"));
        assert!(!rotated.needs_reencryption(&new_value));
        assert_eq!(
            ring(2, 9).decrypt(&old_value, &binding()),
            Err(CryptoError::UnknownVersion(1))
        );
        assert_eq!(
            rotated.with_previous(2, [1; 32]).unwrap_err(),
            KeyError::DuplicateVersion(2)
        );
    }

    #[test]
    fn malformed_values_are_rejected_as_malformed() {
        let ring = ring(1, 7);
        let short = format!("v1:{}", URL_SAFE_NO_PAD.encode([0u8; 27]));
        for junk in [
            "", "v1", "1:abc", "v:abc", "v+1:abc", "v256:abc", "v1:!!!", "v1:abc=", &short, "f2.",
            "f2.x:abc", "f2.1:!!!",
        ] {
            assert_eq!(
                ring.decrypt(junk, &binding()),
                Err(CryptoError::Malformed),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn keys_load_from_either_base64_alphabet_and_must_be_32_bytes() {
        let standard = "+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/8=";
        let url_safe = "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8";
        let stored = KeyRing::from_base64(1, standard).unwrap().encrypt(
            SECRET,
            &binding(),
            &mut CountingRng(0),
        );
        let same_key = KeyRing::from_base64(1, &format!("{url_safe}\n")).unwrap();
        assert_eq!(same_key.decrypt(&stored, &binding()).unwrap(), SECRET);
        assert_eq!(
            KeyRing::from_base64(1, "c2hvcnQ=").unwrap_err(),
            KeyError::WrongLength(5)
        );
        assert_eq!(
            KeyRing::from_base64(1, "not base64!").unwrap_err(),
            KeyError::InvalidBase64
        );
    }

    #[test]
    fn a_value_only_decrypts_for_the_binding_it_was_written_for() {
        let ring = ring(1, 7);
        let stored = ring.encrypt(SECRET, &binding(), &mut CountingRng(0));
        let other_row =
            SecretBinding::provider_api_key(Uuid::from_u128(2), "https://n8n.example.com");
        let other_host =
            SecretBinding::provider_api_key(Uuid::from_u128(1), "https://evil.example");
        let other_port =
            SecretBinding::provider_api_key(Uuid::from_u128(1), "https://n8n.example.com:8443");
        let a_credential = SecretBinding::credential(Uuid::from_u128(1), "slackApi");
        for wrong in [other_row, other_host, other_port, a_credential] {
            assert_eq!(
                ring.decrypt(&stored, &wrong),
                Err(CryptoError::Tampered),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn an_alert_target_only_decrypts_for_its_own_channel_and_kind() {
        let ring = ring(1, 7);
        let url = "https://hooks.slack.com/services/T000/B000/secret";
        let channel = Uuid::from_u128(10);
        let stored = ring.encrypt(
            url,
            &SecretBinding::alert_channel(channel, "slack"),
            &mut CountingRng(0),
        );
        assert_eq!(
            ring.decrypt(&stored, &SecretBinding::alert_channel(channel, "slack"))
                .unwrap(),
            url
        );
        let another_channel = SecretBinding::alert_channel(Uuid::from_u128(11), "slack");
        let another_kind = SecretBinding::alert_channel(channel, "webhook");
        let a_credential = SecretBinding::credential(channel, "slack");
        for wrong in [another_channel, another_kind, a_credential] {
            assert_eq!(
                ring.decrypt(&stored, &wrong),
                Err(CryptoError::Tampered),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn legacy_values_stay_readable_and_are_flagged_for_reencryption() {
        let ring = ring(1, 7);
        let old = legacy(7, 1);
        assert_eq!(ring.decrypt(&old, &binding()).unwrap(), SECRET);
        assert!(ring.needs_reencryption(&old));
        let current = ring.encrypt(SECRET, &binding(), &mut CountingRng(0));
        assert!(!ring.needs_reencryption(&current));
        assert_eq!(
            KeyRing::new(1, [8; 32]).decrypt(&old, &binding()),
            Err(CryptoError::Tampered)
        );
    }

    #[test]
    fn debug_output_shows_versions_but_no_key_material() {
        let ring = ring(2, 0xAB).with_previous(1, [0xCD; 32]).unwrap();
        // The exact output: versions only, never bytes of either key.
        assert_eq!(
            format!("{ring:?}"),
            "KeyRing { current: 2, versions: [1, 2], .. }"
        );
    }

    #[test]
    fn last4_shows_only_the_tail_of_long_secrets() {
        assert_eq!(last4("n8n_api_abcd"), "••••abcd");
        assert_eq!(last4("short"), "••••");
        assert_eq!(last4("ünïcødé-wxyz"), "••••wxyz");
    }
}
