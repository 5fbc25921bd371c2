#!/usr/bin/env bash
# Stores the benchmark shop twice (epoch 0), then its repriced epoch 1 (with inflated "was" prices), and checks what
# dealcast concluded against the generator's expected.jsonl. Not a test: it needs nginx and the generated shops.
#   python3 ../shared/bench/gen_shop.py --out /tmp/shopbench
#   python3 ../shared/bench/gen_shop.py --out /tmp/shopbench1 --price-epoch 1 --inflate-ratio 0.25
#   benches/shopbench/epochs.sh   (from the repository, after cargo build --release)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bench=${BENCH_DIR:-$repo/../shared/bench}
epoch0=${EPOCH0:-/tmp/shopbench}
epoch1=${EPOCH1:-/tmp/shopbench1}
dealcast=${DEALCAST_BIN:-$repo/target/release/dealcast}
export DEALCAST_DATA_DIR=${DEALCAST_DATA_DIR:-/tmp/dealcast-epochs}
unset DATABASE_URL
# The bench shop is on loopback, which dealcast refuses to fetch from unless allowed.
export DEALCAST_ALLOW_PRIVATE_HOSTS=${DEALCAST_ALLOW_PRIVATE_HOSTS:-127.0.0.0/8}
"$dealcast" db stop >/dev/null 2>&1 || true
rm -rf "$DEALCAST_DATA_DIR"
"$dealcast" db start >/dev/null
url=$("$dealcast" db url)
scrape() { "$dealcast" --scrapers "$repo/benches/shopbench" scrape --shop fakeshop 2>&1 | grep fakeshop; }
cd "$bench"
./serve.sh stop "$epoch1" 8080 >/dev/null 2>&1 || true
./serve.sh "$epoch0" 8080 >/dev/null
scrape
scrape
./serve.sh stop "$epoch0" 8080 >/dev/null || true
./serve.sh "$epoch1" 8080 >/dev/null
scrape
./serve.sh stop "$epoch1" 8080 >/dev/null || true
psql "$url" -Atc "SELECT 'offers', count(*) FROM offers; SELECT 'observations', count(*) FROM price_observations"
psql "$url" -Atc "COPY (SELECT canonical_url, coalesce(verdict, '-') FROM offers) TO STDOUT" | EPOCH1="$epoch1" python3 -c '
import json, os, sys
verdicts = {}
for line in sys.stdin:
    url, verdict = line.rstrip("\n").split("\t")
    verdicts["/" + url.split("/", 3)[3]] = verdict
rows = [json.loads(line) for line in open(os.environ["EPOCH1"] + "/expected.jsonl")]
inflated = [r for r in rows if r.get("inflated")]
caught = sum(1 for r in inflated if verdicts[r["path"]] == "inflated")
wrong = sum(1 for r in rows if not r.get("inflated") and verdicts[r["path"]] == "inflated")
print(f"inflated claims {len(inflated)}, judged inflated {caught}, others judged inflated {wrong}")
'
"$dealcast" db stop >/dev/null
