//! The OAuth 1.0a signer against the public vectors in `shared/peers/oauth1/vectors.json` (X's worked example in
//! its three published versions, RFC 5849, OAuth Core 1.0), read in place: every intermediate value (parameter
//! string, base string, signing key) and the signature must match, and the whole header for X's example.

use crate::support;

use dealcast::publish::x::oauth::{
    Credentials, authorization_header, base_string_uri, hmac_sha1_signature, parameter_string, percent_encode,
    signature_base_string,
};
use serde_json::Value;
use url::Url;

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|pair| (pair[0].as_str().unwrap().to_string(), pair[1].as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn vectors() -> Option<Value> {
    let dir = support::peers_dir("oauth1_conformance")?;
    let text = std::fs::read_to_string(dir.join("oauth1/vectors.json")).expect("read oauth1/vectors.json");
    Some(serde_json::from_str(&text).expect("vectors.json is JSON"))
}

#[test]
fn every_signature_case_matches() {
    let Some(vectors) = vectors() else { return };
    let cases = vectors["signature_cases"].as_array().expect("signature_cases");
    assert!(!cases.is_empty());
    let (mut passed, mut headers) = (0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let expected = &case["expected"];
        let oauth: Vec<(String, String)> = case["oauth_params"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| name.as_str() != "realm")
            .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_string()))
            .collect();
        let mut params = pairs(&case["query_params"]);
        params.extend(pairs(&case["form_body_params"]));
        params.extend(oauth.iter().cloned());
        let url = Url::parse(case["base_url"].as_str().unwrap()).unwrap();
        let method = case["method"].as_str().unwrap();

        assert_eq!(parameter_string(&params), expected["parameter_string"].as_str().unwrap(), "{id}: parameters");
        let base = signature_base_string(method, &base_string_uri(&url), &params);
        assert_eq!(base, expected["signature_base_string"].as_str().unwrap(), "{id}: base string");
        let (consumer_secret, token_secret) =
            (case["consumer_secret"].as_str().unwrap(), case["token_secret"].as_str().unwrap());
        assert_eq!(
            format!("{}&{}", percent_encode(consumer_secret), percent_encode(token_secret)),
            expected["signing_key"].as_str().unwrap(),
            "{id}: signing key"
        );
        let signature = hmac_sha1_signature(&base, consumer_secret, token_secret);
        assert_eq!(signature, expected["signature"].as_str().unwrap(), "{id}: signature");
        if case["published_signature_reproducible"].as_bool() == Some(true) {
            assert_eq!(signature, case["published_signature"].as_str().unwrap(), "{id}: published signature");
        }

        // X's own parameter set (the six oauth_* parameters with version 1.0): the full header path must agree.
        let names: Vec<&str> = oauth.iter().map(|(name, _)| name.as_str()).collect();
        if names.contains(&"oauth_version") && names.contains(&"oauth_token") && names.len() == 6 {
            let get = |name: &str| oauth.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
            let credentials = Credentials {
                consumer_key: get("oauth_consumer_key"),
                consumer_secret: consumer_secret.to_string(),
                token: get("oauth_token"),
                token_secret: token_secret.to_string(),
            };
            let mut extra = pairs(&case["query_params"]);
            extra.extend(pairs(&case["form_body_params"]));
            let header = authorization_header(
                method,
                &url,
                &extra,
                &credentials,
                &get("oauth_nonce"),
                get("oauth_timestamp").parse().unwrap(),
            );
            assert!(
                header.contains(&format!("oauth_signature=\"{}\"", percent_encode(&signature))),
                "{id}: header {header}"
            );
            if let Some(full) = case["expected_authorization_header"].as_str() {
                assert_eq!(header, full, "{id}: authorization header");
            }
            headers += 1;
        }
        passed += 1;
    }
    assert_eq!(passed, cases.len());
    println!("oauth1 signature cases: {passed}/{} passed ({headers} also checked as full headers)", cases.len());
}

#[test]
fn every_base_string_uri_case_matches() {
    let Some(vectors) = vectors() else { return };
    let cases = vectors["base_string_uri_cases"].as_array().expect("base_string_uri_cases");
    for case in cases {
        // The vector describes the request line and Host header; rebuild the URL the client would have used.
        let request = case["request"].as_str().unwrap();
        let target = request.split_whitespace().nth(1).unwrap();
        let host = request.split("Host: ").nth(1).unwrap().split(',').next().unwrap().trim();
        let scheme = request.rsplit("scheme ").next().unwrap().trim();
        let url = Url::parse(&format!("{scheme}://{host}{target}")).unwrap();
        assert_eq!(base_string_uri(&url), case["expected_base_string_uri"].as_str().unwrap(), "{request}");
    }
    println!("oauth1 base string URI cases: {}/{} passed", cases.len(), cases.len());
}

#[test]
fn every_percent_encoding_case_matches() {
    let Some(vectors) = vectors() else { return };
    let cases = vectors["percent_encoding_cases"].as_array().expect("percent_encoding_cases");
    for case in cases {
        assert_eq!(percent_encode(case["input"].as_str().unwrap()), case["expected"].as_str().unwrap());
    }
    println!("oauth1 percent-encoding cases: {}/{} passed", cases.len(), cases.len());
}

/// With `DEALCAST_REQUIRE_PEERS=1` (as `.ci/run` sets it) a missing peers folder makes the conformance tests fail,
/// naming the folder; without it they say they skipped and pass. Each case runs one of this binary's tests again,
/// in a child process pointed at a folder that does not exist.
#[test]
fn a_missing_peers_folder_fails_the_tests_when_required_and_skips_them_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-peers-here");
    let run = |require: Option<&str>| {
        let mut command = std::process::Command::new(std::env::current_exe().unwrap());
        command
            .args(["oauth1_conformance::every_percent_encoding_case_matches", "--exact", "--nocapture"])
            .env("DEALCAST_PEERS_DIR", &missing)
            .env_remove("DEALCAST_REQUIRE_PEERS");
        if let Some(value) = require {
            command.env("DEALCAST_REQUIRE_PEERS", value);
        }
        let output = command.output().unwrap();
        let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), said)
    };
    let named = format!("no peers data at {}", missing.display());

    let (passed, said) = run(Some("1"));
    assert!(!passed, "required: the test must fail\n{said}");
    assert!(said.contains(&named) && said.contains("DEALCAST_REQUIRE_PEERS is set"), "names the folder:\n{said}");
    assert!(said.contains("1 failed"), "{said}");

    let (passed, said) = run(None);
    assert!(passed, "not required: the test skips\n{said}");
    assert!(said.contains(&format!("SKIPPED oauth1_conformance: {named}")), "{said}");
}
