#!/usr/bin/env bash
# What harvests cost the benchmark shop, counted from nginx's access log: a full harvest of epoch 0, the same shop
# harvested again unchanged, then epoch 1 generated in place (with inflated "was" prices) and harvested. Then what
# dealcast stored is checked against the generator's expected.jsonl: every price, and every inflated claim judged
# inflated, none falsely. Not a test: it needs nginx (Debian: nginx-light) and a few GB in /tmp.
#   cargo build --release
#   benches/shopbench/cheap_harvests.sh            (N=20000 products by default; N=2000 for a quick look)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bench=${BENCH_DIR:-$repo/../shared/bench}
site=${SITE:-/tmp/shopbench-live}
n=${N:-20000}
port=8080
dealcast=${DEALCAST_BIN:-$repo/target/release/dealcast}
export DEALCAST_DATA_DIR=${DEALCAST_DATA_DIR:-/tmp/dealcast-cheap-harvests}
unset DATABASE_URL
# The bench shop is on loopback, which dealcast refuses to fetch from unless allowed.
export DEALCAST_ALLOW_PRIVATE_HOSTS=${DEALCAST_ALLOW_PRIVATE_HOSTS:-127.0.0.0/8}
log="$site/nginx-$port/access.log"

"$dealcast" db stop >/dev/null 2>&1 || true
rm -rf "$DEALCAST_DATA_DIR"
"$dealcast" db start >/dev/null
url=$("$dealcast" db url)
cd "$bench"
./serve.sh stop "$site" $port >/dev/null 2>&1 || true
rm -rf "$site"
python3 gen_shop.py --out "$site" -n "$n" --no-gzip >/dev/null

lines() { if [[ -f "$log" ]]; then wc -l <"$log"; else echo 0; fi; }
# Harvests the shop; prints "label requests 200s 304s" from the access log lines the harvest added.
harvest() {
  local label=$1 before after
  sleep 1.2 # nginx flushes its log buffer every second
  before=$(lines)
  "$dealcast" --scrapers "$repo/benches/shopbench" scrape --shop fakeshop 2>&1 | grep fakeshop >&2
  sleep 1.2
  after=$(lines)
  tail -n $((after - before)) "$log" | awk -v label="$label" \
    '{ n++; if ($2 == 304) nm++; else if ($2 == 200) ok++ } END { printf "%s %d %d %d\n", label, n, ok, nm }'
}

./serve.sh "$site" $port >/dev/null
full=$(harvest "epoch-0-full")
again=$(harvest "epoch-0-unchanged")
./serve.sh stop "$site" $port >/dev/null
python3 gen_shop.py --out "$site" -n "$n" --no-gzip --price-epoch 1 --inflate-ratio 0.25 >/dev/null
./serve.sh "$site" $port >/dev/null
epoch1=$(harvest "epoch-1")
./serve.sh stop "$site" $port >/dev/null

echo
printf '%-20s %9s %8s %8s %8s\n' harvest requests 200 304 "% full"
for row in "$full" "$again" "$epoch1"; do
  read -r label total ok nm <<<"$row"
  base=$(awk '{print $2}' <<<"$full")
  printf '%-20s %9d %8d %8d %7.2f%%\n' "$label" "$total" "$ok" "$nm" "$(awk -v a="$total" -v b="$base" 'BEGIN { print 100 * a / b }')"
done
echo
psql "$url" -Atc "COPY (SELECT canonical_url, price, coalesce(previous_price::text, ''), coalesce(verdict, '-') FROM offers) TO STDOUT" \
  | SITE="$site" python3 -c '
import json, os, sys
from decimal import Decimal
stored = {}
for line in sys.stdin:
    url, price, previous, verdict = line.rstrip("\n").split("\t")
    stored["/" + url.split("/", 3)[3]] = (Decimal(price), Decimal(previous) if previous else None, verdict)
rows = [json.loads(line) for line in open(os.environ["SITE"] + "/expected.jsonl")]
missing = [r["path"] for r in rows if r["path"] not in stored]
wrong = [r["path"] for r in rows if r["path"] in stored and stored[r["path"]][0] != Decimal(str(r["price"]))]
wrong_old = [r["path"] for r in rows if r["path"] in stored and stored[r["path"]][1] != (Decimal(str(r["old_price"])) if r.get("old_price") is not None else None)]
inflated = [r for r in rows if r.get("inflated")]
caught = sum(1 for r in inflated if stored.get(r["path"], (0, 0, "-"))[2] == "inflated")
false = sum(1 for r in rows if not r.get("inflated") and stored.get(r["path"], (0, 0, "-"))[2] == "inflated")
manifest = json.load(open(os.environ["SITE"] + "/manifest.json")) if os.path.exists(os.environ["SITE"] + "/manifest.json") else {}
print(f"products {len(rows)}, stored {len(stored)}, missing {len(missing)}, wrong price {len(wrong)}, wrong previous price {len(wrong_old)}")
print(f"inflated claims {len(inflated)}, judged inflated {caught}, others judged inflated {false}")
print("generator:", {k: v for k, v in manifest.items() if "epoch" in k or "changed" in k or "inflat" in k})
'
psql "$url" -Atc "SELECT 'observations by source: ' || string_agg(source || ' ' || n, ', ') FROM (SELECT source, count(*) n FROM price_observations GROUP BY 1) s"
"$dealcast" db stop >/dev/null
