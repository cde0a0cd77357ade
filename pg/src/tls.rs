//! The rustls client configuration for a [`TlsPolicy`].

use crate::{Error, TlsPolicy, TrustedRoots};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector for `policy`. `verify-full` uses rustls' own WebPKI verifier; the weaker
/// modes a verifier of ours that checks less, exactly as libpq does for them.
pub fn connector(policy: &TlsPolicy) -> Result<MakeRustlsConnect, Error> {
    // The workspace builds rustls with `ring` only; naming the provider keeps this independent
    // of any process-wide default another crate may (or may not) have installed.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(Error::TlsSetup)?;
    let mut config = match policy {
        TlsPolicy::Verified {
            roots,
            host_name: true,
            ..
        } => builder
            .with_root_certificates(load(roots)?)
            .with_no_client_auth(),
        TlsPolicy::Verified {
            roots,
            host_name: false,
            ..
        } => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(LibpqVerifier {
                chain_roots: Some(load(roots)?),
                provider,
            }))
            .with_no_client_auth(),
        // `Off` never starts TLS, but the connection type is the same for every mode.
        TlsPolicy::EncryptOnly { .. } | TlsPolicy::Off => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(LibpqVerifier {
                chain_roots: None,
                provider,
            }))
            .with_no_client_auth(),
    };
    // What libpq 17 sends, and what a server accepting direct TLS (`sslnegotiation=direct`)
    // insists on.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(MakeRustlsConnect::new(config))
}

/// The CA certificates to trust.
fn load(roots: &TrustedRoots) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    match roots {
        TrustedRoots::CaFile(path) => {
            let pem = std::fs::read(path).map_err(|source| Error::CaFileUnreadable {
                path: path.clone(),
                source,
            })?;
            let invalid = |problem: String| Error::CaFileInvalid {
                path: path.clone(),
                problem,
            };
            for certificate in CertificateDer::pem_slice_iter(&pem) {
                let certificate = certificate.map_err(|e| invalid(e.to_string()))?;
                store.add(certificate).map_err(|e| invalid(e.to_string()))?;
            }
            if store.is_empty() {
                return Err(invalid("holds no PEM certificate".into()));
            }
        }
        TrustedRoots::System => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                let why: Vec<String> = found
                    .errors
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect();
                return Err(Error::NoSystemRoots(match why.is_empty() {
                    true => "none found".into(),
                    false => why.join("; "),
                }));
            }
        }
    }
    Ok(store)
}

/// libpq's checks below `verify-full`: the certificate's chain against `chain_roots` when
/// given (`verify-ca`, or an `sslrootcert` with `prefer`/`require`), never the host name;
/// without roots nothing but the handshake itself (`prefer`, `require`). The handshake's
/// signatures are always verified, so the server does hold the key of what it presented.
#[derive(Debug)]
struct LibpqVerifier {
    chain_roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.chain_roots {
            let certificate = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &certificate,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
