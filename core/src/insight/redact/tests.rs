use super::*;

#[test]
fn echoed_request_headers_lose_their_credentials_but_keep_the_rest() {
    let echoed = r#"{"headers":{"Authorization":"Bearer sk_live_51H8abcDEF","X-Api-Key":"abcd1234efgh","Accept":"application/json","Cookie":"sid=s%3Aabc.def"}}"#;
    assert_eq!(
        redact(echoed),
        r#"{"headers":{"Authorization":"[redacted]","X-Api-Key":"[redacted]","Accept":"application/json","Cookie":"[redacted]"}}"#
    );
}

#[test]
fn header_lines_lose_their_values_including_the_scheme_s_credential() {
    let lines = "Authorization: Basic dXNlcjpwYXNzd29yZA==\r\nX-N8N-API-KEY: n8n_api_123456\r\nX-Goog-Key: AIzaSyA\r\nContent-Type: text/plain";
    assert_eq!(
        redact(lines),
        "Authorization: [redacted]\r\nX-N8N-API-KEY: [redacted]\r\nX-Goog-Key: [redacted]\r\nContent-Type: text/plain"
    );
}

#[test]
fn query_strings_lose_secret_parameters_only() {
    assert_eq!(
        redact("GET https://api.example.com/v1/items?api_key=abc123&limit=10&access_token=xyz789&key=k1"),
        "GET https://api.example.com/v1/items?api_key=[redacted]&limit=10&access_token=[redacted]&key=[redacted]"
    );
}

#[test]
fn json_values_of_secret_keys_are_redacted_whatever_their_type() {
    assert_eq!(
        redact(r#"{"user":"ann","password":"p@ss w0rd","client_secret":'x',"refresh_token":null}"#),
        r#"{"user":"ann","password":"[redacted]","client_secret":'[redacted]',"refresh_token":[redacted]}"#
    );
    // JSON quoted inside a JSON string, as n8n nests response bodies.
    assert_eq!(
        redact(r#"400 - "{\"password\":\"hunter 2\",\"name\":\"x\"}""#),
        r#"400 - "{\"password\":\"[redacted]\",\"name\":\"x\"}""#
    );
}

#[test]
fn url_user_info_is_redacted_and_the_host_kept() {
    assert_eq!(
        redact("connect ECONNREFUSED postgres://n8n:hunter2@db.internal:5432/app (retrying)"),
        "connect ECONNREFUSED postgres://[redacted]@db.internal:5432/app (retrying)"
    );
    assert_eq!(
        redact("see https://example.com/a@b and https://example.com"),
        "see https://example.com/a@b and https://example.com"
    );
}

#[test]
fn bearer_tokens_and_jwts_are_redacted_anywhere() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl";
    assert_eq!(
        redact(&format!("sent bearer abc.DEF-123 then {jwt}, done")),
        "sent bearer [redacted] then [redacted], done"
    );
    // Unsigned (`alg: none`) tokens end with a dot.
    assert_eq!(
        redact("t=x eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. ok"),
        "t=x [redacted] ok"
    );
}

#[test]
fn long_random_runs_are_redacted_but_uuids_and_words_stay() {
    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let uuid = "123e4567-e89b-12d3-a456-426614174000";
    assert_eq!(
        redact(&format!("digest {sha} secret {aws} id {uuid}")),
        format!("digest [redacted] secret [redacted] id {uuid}")
    );
    let prose = "Supercalifragilisticexpialidociousnessness is not a secret";
    assert_eq!(redact(prose), prose);
}

#[test]
fn prose_about_credentials_is_left_alone() {
    for text in [
        "Basic authentication failed",
        "password authentication failed for user \"n8n\"",
        "Authorization failed - please check your credentials",
        "Key (email)=(ann@example.com) already exists.",
        "The resource you are requesting could not be found",
        "foo is not defined [line 2]",
    ] {
        assert_eq!(redact(text), text);
    }
}

#[test]
fn clip_cuts_on_characters_counts_the_ellipsis_and_drops_control_characters() {
    assert_eq!(clip("  a\u{0}b\nc\u{1b}[31m  ", 10), "ab\nc[31m");
    let long = "é".repeat(600);
    let cut = clip(&long, 500);
    assert_eq!(cut.chars().count(), 500);
    assert!(cut.ends_with('…'));
    assert_eq!(clip("short", 500), "short");
}

#[test]
fn bounded_input_drops_a_word_the_cut_went_through() {
    assert_eq!(bounded("short text", 100), "short text");
    assert_eq!(bounded("token abcdefgh", 9), "token");
    assert_eq!(bounded("nospacesatall", 4), "");
}
