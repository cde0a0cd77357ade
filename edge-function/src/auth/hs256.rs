//! jsonwebtoken's crypto backend for the worker's wasm: HMAC-SHA256 and nothing else.
//!
//! jsonwebtoken 10 takes its signature code from a [`CryptoProvider`]; its `rust_crypto` one
//! links RSA, ECDSA (P-256, P-384) and Ed25519 as well, because it picks the algorithm from the
//! token's header at run time. The edge function accepts HS256 only, so in its wasm build
//! (where `rust_crypto` is off, see Cargo.toml) this provider is installed instead: the bundle
//! loses the RSA/EC code and jsonwebtoken keeps parsing the token and checking the claims.

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{new_error, ErrorKind, Result as JwtResult};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use sha2::Sha256;

/// HS256 verification (and signing, for completeness); every other algorithm is refused with
/// [`ErrorKind::InvalidAlgorithm`]. No JWK support (the worker uses none).
pub static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    jwk_utils: JwkUtils::new_unimplemented(),
};

/// Makes [`HS256_ONLY`] jsonwebtoken's provider for this process, unless one is already set
/// (then that one stays: installing can happen once). Called by the wasm build only: native
/// builds keep jsonwebtoken's rust_crypto provider, which the app and the tests sign with.
pub fn install() {
    let _already_installed = HS256_ONLY.install_default();
}

struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn new(secret: &[u8]) -> JwtResult<Self> {
        Hmac::new_from_slice(secret)
            .map(Self)
            .map_err(|_| new_error(ErrorKind::InvalidKeyFormat))
    }
}

fn only_hs256(algorithm: &Algorithm) -> JwtResult<()> {
    if *algorithm == Algorithm::HS256 {
        Ok(())
    } else {
        Err(new_error(ErrorKind::InvalidAlgorithm))
    }
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    only_hs256(algorithm)?;
    Ok(Box::new(Hs256::new(key.try_get_hmac_secret()?)?))
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    only_hs256(algorithm)?;
    Ok(Box::new(Hs256::new(key.try_get_hmac_secret()?)?))
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        // `verify_slice` compares in constant time.
        mac.verify_slice(signature)
            .map_err(signature::Error::from_source)
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, Header};
    use serde_json::json;

    const SECRET: &[u8] = b"a-test-secret-of-more-than-32-characters";

    /// `header.claims` and the signature bytes of a token signed by jsonwebtoken's own
    /// (rust_crypto) backend, which the native build uses.
    fn signed(algorithm: Algorithm, secret: &[u8]) -> (String, Vec<u8>) {
        use base64::Engine;
        let token = encode(
            &Header::new(algorithm),
            &json!({"role": "service_role", "exp": 4_102_444_800_u64}),
            &EncodingKey::from_secret(secret),
        )
        .unwrap();
        let (message, signature) = token.rsplit_once('.').unwrap();
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap();
        (message.to_string(), signature)
    }

    fn verify(algorithm: Algorithm, message: &str, signature: &[u8]) -> JwtResult<bool> {
        let verifier =
            (HS256_ONLY.verifier_factory)(&algorithm, &DecodingKey::from_secret(SECRET))?;
        Ok(verifier
            .verify(message.as_bytes(), &signature.to_vec())
            .is_ok())
    }

    #[test]
    fn verifies_what_rust_crypto_signs_with_the_same_secret_only() {
        let (message, signature) = signed(Algorithm::HS256, SECRET);
        assert!(verify(Algorithm::HS256, &message, &signature).unwrap());

        let (other_message, other_signature) = signed(Algorithm::HS256, b"another-secret");
        assert!(!verify(Algorithm::HS256, &other_message, &other_signature).unwrap());
        let tampered = message.replacen("e", "f", 1);
        assert!(!verify(Algorithm::HS256, &tampered, &signature).unwrap());
        assert!(!verify(Algorithm::HS256, &message, &signature[..31]).unwrap());
    }

    #[test]
    fn signs_like_rust_crypto() {
        let (message, signature) = signed(Algorithm::HS256, SECRET);
        let ours =
            (HS256_ONLY.signer_factory)(&Algorithm::HS256, &EncodingKey::from_secret(SECRET))
                .unwrap()
                .try_sign(message.as_bytes())
                .unwrap();
        assert_eq!(ours, signature);
    }

    #[test]
    fn refuses_every_other_algorithm() {
        for algorithm in [
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let error = verify(algorithm, "e30.e30", b"").err();
            assert!(
                matches!(
                    error.as_ref().map(jsonwebtoken::errors::Error::kind),
                    Some(ErrorKind::InvalidAlgorithm)
                ),
                "{algorithm:?}: {error:?}"
            );
            assert!(
                (HS256_ONLY.signer_factory)(&algorithm, &EncodingKey::from_secret(SECRET)).is_err()
            );
        }
    }
}
