//! The publishing commands through the real binary: `publish --dry-run` (what would go out, explained),
//! `publish --now` on a `dry_run` account, `publications`, `curate` and `accounts`. The deals are judged by the
//! real judge from a price history, as a harvest would leave them.

use crate::support;
use crate::support::builders::{OfferSeed, ShopSeed};

use chrono::Utc;
use dealcast::deals::score::ScoreWeights;
use dealcast::harvest::judgements::judge_offers;
use sqlx::PgPool;
use support::TestDb;

const CONFIG: &str = "[[accounts]]\nname = \"twittzat\"\nplatform = \"dry_run\"\nmin_spacing_minutes = 30\n\
                      posts_per_slot = 2\n\n[[accounts]]\nname = \"revue\"\nplatform = \"dry_run\"\nmode = \"curated\"\n\
                      min_spacing_minutes = 0\n";

/// Two shops, each with a real reduction after weeks at a higher price; returns the offers' ids.
async fn seed(pool: &PgPool) -> Vec<i64> {
    let now = Utc::now();
    let mut ids = Vec::new();
    for (shop, name, title, before, after) in [
        ("kiabi", "Kiabi", "Jean droit <b>brut</b>", "39.99", "24.99"),
        ("sephora", "Sephora", "Palette \"Nude\" 12 teintes", "49.00", "29.40"),
    ] {
        ShopSeed::new(shop).name(name).insert(pool).await;
        let id = OfferSeed::new(shop, title)
            .url(format!("https://www.{shop}.example/p/1"))
            .real_reduction(before, after, now)
            .insert(pool)
            .await;
        ids.push(id);
    }
    judge_offers(pool, &ids, &ScoreWeights::default(), now).await.unwrap();
    ids
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn dealcast(db: &TestDb, config: &std::path::Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dealcast"))
        .args(args)
        .env("DATABASE_URL", support::database_url(db))
        .env("DEALCAST_CONFIG", config)
        .env_remove("DEALCAST_TEST_PAUSE_AT")
        .output()
        .await
        .expect("run dealcast");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn succeeds(db: &TestDb, config: &std::path::Path, args: &[&str]) -> String {
    let run = dealcast(db, config, args).await;
    assert_eq!(run.code, Some(0), "dealcast {args:?} failed:\n{}\n{}", run.stdout, run.stderr);
    run.stdout
}

fn config_file(tag: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("dealcast-publish-cli-{}-{tag}.toml", std::process::id()));
    std::fs::write(&path, CONFIG).unwrap();
    path
}

#[tokio::test]
async fn publish_dry_run_shows_each_post_with_its_length_and_why_it_ranks_and_changes_nothing() {
    let db = support::fresh_database().await;
    seed(&db.pool).await;
    let config = config_file("dry");
    let out = succeeds(&db, &config, &["publish", "--account", "twittzat", "--dry-run"]).await;
    assert!(out.contains("twittzat: 2 post(s) would go out now"), "{out}");
    assert!(out.contains("Jean droit <b>brut</b> à 24,99\u{a0}€ chez Kiabi"), "{out}");
    assert!(out.contains("-38\u{a0}%") && out.contains("/ 280 weighted characters"), "{out}");
    assert!(out.contains("real discount"), "the score is explained:\n{out}");
    let json = succeeds(&db, &config, &["publish", "--account", "twittzat", "--dry-run", "--json"]).await;
    let posts: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(posts.len(), 2);
    for post in &posts {
        let length = post["weighted_length"].as_u64().unwrap();
        assert!(length > 0 && length <= 280, "{post}");
        assert!(post["score_explanation"].as_array().is_some_and(|lines| !lines.is_empty()), "{post}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM publications").fetch_one(&db.pool).await.unwrap();
    assert_eq!(rows, 0, "a dry run writes nothing");
    let _ = std::fs::remove_file(config);
}

#[tokio::test]
async fn a_dry_run_account_records_its_posts_and_a_curated_one_waits_for_a_person() {
    let db = support::fresh_database().await;
    seed(&db.pool).await;
    let config = config_file("now");
    let out = succeeds(&db, &config, &["publish", "--account", "twittzat", "--now"]).await;
    assert!(out.contains("twittzat: 2 post(s) written, 1 sent"), "{out}");
    assert!(out.contains("sent  dry-run:twittzat:"), "{out}");
    let listed = succeeds(&db, &config, &["publications", "--account", "twittzat"]).await;
    assert!(listed.contains("published") && listed.contains("queued"), "{listed}");
    let json = succeeds(&db, &config, &["publications", "--status", "published", "--json"]).await;
    let row: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(row["account_id"], "twittzat");
    assert!(row["text"].as_str().unwrap().contains("29,40\u{a0}€ chez Sephora"), "the best deal first: {row}");

    // The curated account: its slot puts deals in front of a person, and nothing goes out.
    let out = succeeds(&db, &config, &["publish", "--account", "revue", "--now"]).await;
    assert!(out.contains("revue: 2 post(s) written, 0 sent"), "{out}");
    let pending = succeeds(&db, &config, &["curate", "list", "--account", "revue", "--json"]).await;
    let ids: Vec<i64> = pending
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let long = "x".repeat(300);
    let refused = dealcast(&db, &config, &["curate", "approve", &ids[0].to_string(), "--text", &long]).await;
    assert_ne!(refused.code, Some(0));
    assert!(refused.stderr.contains("300 weighted characters"), "{}", refused.stderr);
    let approved = succeeds(
        &db,
        &config,
        &["curate", "approve", &ids[0].to_string(), "--text", "Mon texte 24,99 €", "--by", "zoe"],
    )
    .await;
    assert!(approved.contains("approved by zoe"), "{approved}");
    succeeds(&db, &config, &["curate", "reject", &ids[1].to_string(), "--reason", "trop cher"]).await;
    let left = succeeds(&db, &config, &["curate", "list"]).await;
    assert!(left.contains("Nothing waits for review."), "{left}");

    // Accounts can be paused and resumed by a person.
    succeeds(&db, &config, &["accounts", "pause", "twittzat", "--reason", "vacances"]).await;
    let listed = succeeds(&db, &config, &["accounts", "list"]).await;
    assert!(listed.contains("PAUSED: vacances"), "{listed}");
    let paused = dealcast(&db, &config, &["publish", "--account", "twittzat", "--now"]).await;
    assert_ne!(paused.code, Some(0), "a paused account does not post: {}", paused.stdout);
    assert!(paused.stdout.contains("paused: vacances"), "{}", paused.stdout);
    succeeds(&db, &config, &["accounts", "resume", "twittzat"]).await;
    let unknown = dealcast(&db, &config, &["publish", "--account", "nobody", "--now"]).await;
    assert!(unknown.stderr.contains("no account named `nobody`") && unknown.stderr.contains("twittzat"));
    let _ = std::fs::remove_file(config);
}
