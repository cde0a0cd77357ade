//! Parsing of database URLs: every `sslmode`, `sslrootcert`, bad values, and a `Debug` that
//! keeps the password out of logs.

use super::*;
use tokio_postgres::config::SslMode as WireMode;

fn parse(text: &str) -> DatabaseUrl {
    text.parse()
        .unwrap_or_else(|e| panic!("{text} should parse: {e}"))
}

fn refusal(text: &str) -> String {
    match text.parse::<DatabaseUrl>() {
        Ok(url) => panic!("{text} should be refused, got {url:?}"),
        Err(error) => error.to_string(),
    }
}

const BASE: &str = "postgres://app:s3cret@db.example.com:6543/flowpulse";

#[test]
fn a_plain_url_prefers_tls_without_checking_like_libpq() {
    let url = parse(BASE);
    assert_eq!(url.ssl_mode(), SslMode::Prefer);
    assert_eq!(url.tls(), &TlsPolicy::EncryptOnly { required: false });
    assert_eq!(url.config().get_ssl_mode(), WireMode::Prefer);
    assert_eq!(url.config().get_user(), Some("app"));
    assert_eq!(url.config().get_password(), Some(&b"s3cret"[..]));
    assert_eq!(url.config().get_dbname(), Some("flowpulse"));
    assert_eq!(url.config().get_ports(), [6543]);
    assert_eq!(url.hosts(), "db.example.com");
}

#[test]
fn disable_means_plain_tcp() {
    let url = parse(&format!("{BASE}?sslmode=disable"));
    assert_eq!(url.ssl_mode(), SslMode::Disable);
    assert_eq!(url.tls(), &TlsPolicy::Off);
    assert_eq!(url.config().get_ssl_mode(), WireMode::Disable);
}

#[test]
fn require_encrypts_without_checking_the_certificate() {
    let url = parse(&format!("{BASE}?sslmode=require"));
    assert_eq!(url.tls(), &TlsPolicy::EncryptOnly { required: true });
    assert_eq!(url.config().get_ssl_mode(), WireMode::Require);
}

#[test]
fn require_or_prefer_with_a_ca_file_check_the_chain_as_libpq_does() {
    let url = parse(&format!("{BASE}?sslmode=require&sslrootcert=/etc/ca.pem"));
    assert_eq!(
        url.tls(),
        &TlsPolicy::Verified {
            required: true,
            roots: TrustedRoots::CaFile("/etc/ca.pem".into()),
            host_name: false,
        }
    );
    let url = parse(&format!("{BASE}?sslrootcert=/etc/ca.pem"));
    assert_eq!(url.ssl_mode(), SslMode::Prefer);
    assert_eq!(url.config().get_ssl_mode(), WireMode::Prefer);
    assert!(matches!(
        url.tls(),
        TlsPolicy::Verified {
            required: false,
            host_name: false,
            ..
        }
    ));
}

#[test]
fn verify_ca_checks_the_chain_against_the_named_file_but_not_the_host_name() {
    let url = parse(&format!(
        "{BASE}?sslmode=verify-ca&sslrootcert=%2Fsecrets%2Fsupabase%20ca.crt"
    ));
    assert_eq!(url.ssl_mode(), SslMode::VerifyCa);
    assert_eq!(
        url.tls(),
        &TlsPolicy::Verified {
            required: true,
            roots: TrustedRoots::CaFile("/secrets/supabase ca.crt".into()),
            host_name: false,
        }
    );
    assert_eq!(url.config().get_ssl_mode(), WireMode::Require);
}

#[test]
fn verify_ca_without_a_ca_file_is_refused() {
    let error = refusal(&format!("{BASE}?sslmode=verify-ca"));
    assert!(
        error.contains("sslmode") && error.contains("sslrootcert"),
        "{error}"
    );
}

#[test]
fn verify_full_checks_chain_and_host_against_the_file_or_the_system() {
    let url = parse(&format!(
        "{BASE}?sslmode=verify-full&sslrootcert=certs/prod-ca.crt"
    ));
    assert_eq!(
        url.tls(),
        &TlsPolicy::Verified {
            required: true,
            roots: TrustedRoots::CaFile("certs/prod-ca.crt".into()),
            host_name: true,
        }
    );
    assert_eq!(url.config().get_ssl_mode(), WireMode::Require);
    let system = TlsPolicy::Verified {
        required: true,
        roots: TrustedRoots::System,
        host_name: true,
    };
    assert_eq!(parse(&format!("{BASE}?sslmode=verify-full")).tls(), &system);
    let implied = parse(&format!("{BASE}?sslrootcert=system"));
    assert_eq!(implied.ssl_mode(), SslMode::VerifyFull);
    assert_eq!(implied.tls(), &system);
}

#[test]
fn system_roots_with_a_weaker_mode_are_refused() {
    for mode in ["prefer", "require", "verify-ca"] {
        let error = refusal(&format!("{BASE}?sslmode={mode}&sslrootcert=system"));
        assert!(
            error.contains("sslrootcert") && error.contains("verify-full"),
            "{mode}: {error}"
        );
    }
}

#[test]
fn an_unknown_sslmode_is_refused_naming_the_parameter_and_the_choices() {
    let error = refusal(&format!("{BASE}?sslmode=verify-everything"));
    assert!(error.contains("sslmode"), "{error}");
    assert!(error.contains("\"verify-everything\""), "{error}");
    assert!(error.contains("verify-full"), "lists the choices: {error}");
    let error = refusal(&format!("{BASE}?sslmode=allow"));
    assert!(
        error.contains("sslmode") && error.contains("not supported"),
        "{error}"
    );
    let error = refusal(&format!("{BASE}?sslmode="));
    assert!(error.contains("sslmode"), "{error}");
}

#[test]
fn contradictory_or_repeated_tls_parameters_are_refused() {
    let error = refusal(&format!("{BASE}?sslmode=disable&sslrootcert=/ca.pem"));
    assert!(
        error.contains("sslrootcert") && error.contains("disable"),
        "{error}"
    );
    let error = refusal(&format!("{BASE}?sslrootcert="));
    assert!(error.contains("sslrootcert"), "{error}");
    let error = refusal(&format!("{BASE}?sslmode=require&sslmode=disable"));
    assert!(
        error.contains("sslmode") && error.contains("twice"),
        "{error}"
    );
}

#[test]
fn other_parameters_reach_tokio_postgres_untouched() {
    let url = parse(&format!(
        "{BASE}?application_name=flow%20pulse&sslmode=require&connect_timeout=7"
    ));
    assert_eq!(url.config().get_application_name(), Some("flow pulse"));
    assert_eq!(
        url.config().get_connect_timeout(),
        Some(&std::time::Duration::from_secs(7))
    );
    assert_eq!(url.config().get_ssl_mode(), WireMode::Require);
    let error = refusal(&format!("{BASE}?sslmode=require&colour=blue"));
    assert!(error.contains("colour"), "tokio-postgres names it: {error}");
}

#[test]
fn a_question_mark_inside_the_password_is_not_the_query() {
    let url = parse("postgresql://app:pa?ss=x@localhost/db?sslmode=require");
    assert_eq!(url.config().get_password(), Some(&b"pa?ss=x"[..]));
    assert_eq!(url.config().get_dbname(), Some("db"));
    assert_eq!(url.tls(), &TlsPolicy::EncryptOnly { required: true });
}

#[test]
fn only_postgres_urls_are_accepted() {
    let error = refusal("host=localhost user=app sslmode=require");
    assert!(error.contains("postgres://"), "{error}");
    assert!(refusal("mysql://app@localhost/db").contains("postgres://"));
}

#[test]
fn debug_and_errors_never_show_the_password() {
    let url = parse(&format!(
        "{BASE}?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    ));
    let debug = format!("{url:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(
        debug.contains("db.example.com") && debug.contains("VerifyFull"),
        "{debug}"
    );
    for bad in [
        format!("{BASE}?sslmode=bogus"),
        format!("{BASE}?port=x"),
        "postgres://app:s3cret@host:notaport/db".to_string(),
    ] {
        let error = refusal(&bad);
        assert!(!error.contains("s3cret"), "{error}");
    }
}
