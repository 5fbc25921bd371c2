//! Google's own robots.txt matcher cases (read in place from the shared peers directory) run through
//! [`RobotsRules`], so we know we obey a shop's robots.txt the way Googlebot does.

use crate::support;

use dealcast::scrape::fetch::RobotsRules;
use serde_json::Value;

fn cases<'a>(data: &'a Value, group: &str) -> &'a [Value] {
    data[group].as_array().map(Vec::as_slice).unwrap_or_else(|| panic!("robots_cases.json has no {group:?} array"))
}

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field].as_str().unwrap_or_else(|| panic!("case without a {field:?} string: {case}"))
}

#[test]
fn every_google_robots_case_is_matched_like_google() {
    let Some(peers) = support::peers_dir("every_google_robots_case_is_matched_like_google") else {
        return;
    };
    let path = peers.join("google-robotstxt/robots_cases.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read robots_cases.json"))
        .expect("robots_cases.json is JSON");

    let allowed = cases(&data, "allowed");
    let mut passed = 0;
    let mut unexpected = Vec::new();
    for case in allowed {
        let (test, url, agent) = (text(case, "test"), text(case, "url"), text(case, "user_agent"));
        let expected = case["expected_allowed"].as_bool().expect("expected_allowed is a boolean");
        let got = RobotsRules::parse(text(case, "robots_txt")).allowed(agent, url);
        if got == expected {
            passed += 1;
        } else {
            unexpected.push(format!("{test}: agent {agent:?}, url {url:?}: expected {expected}, got {got}"));
        }
    }
    println!("robots allowed: {passed}/{} pass", allowed.len());
    // No exceptions: the two cases the robotstxt crate alone gets wrong (ID_LineSyntax_Groups_OtherRules, a
    // `Sitemap` line between two `User-agent` lines) are handled by RobotsRules, see its module documentation.
    assert!(unexpected.is_empty(), "robots.txt answers unlike Google's:\n{}", unexpected.join("\n"));

    let agents = cases(&data, "valid_user_agent_to_obey");
    let mut agents_passed = 0;
    for case in agents {
        let agent = text(case, "user_agent");
        let expected = case["expected_valid"].as_bool().expect("expected_valid is a boolean");
        assert_eq!(RobotsRules::is_valid_user_agent(agent), expected, "is_valid_user_agent({agent:?})");
        agents_passed += 1;
    }
    println!("robots valid_user_agent_to_obey: {agents_passed}/{} pass", agents.len());
    // How URLs are cut to a path and how patterns are escaped happen inside the crate's matcher, which the
    // `allowed` cases above exercise; RobotsRules exposes neither step on its own.
    for group in ["path_params_query", "escape_pattern"] {
        println!("robots {group}: {} cases not run (not exposed by RobotsRules)", cases(&data, group).len());
    }
}
