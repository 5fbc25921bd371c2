//! Finding the states a page ships: JSON script blocks, JSON assigned to globals in scripts, the JSON rows of
//! Next.js's streamed Server Components payload, and Nuxt 3's flattened payloads rebuilt into trees.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};
use serde_json::{Map, Value};

use super::{MAX_DEPTH, MAX_NODES, MAX_SCRIPT_BYTES, css};

static SCRIPT: LazyLock<Selector> = LazyLock::new(|| css("script"));

/// A state assigned in a script: `window.__INITIAL_STATE__ = `, `self.__APOLLO_STATE__=`, `var __STATE__ = `.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\b(?:window|self|globalThis)\s*(?:\.\s*[A-Za-z_$][\w$]*|\[\s*["'][^"']+["']\s*\])|\b(?:var|let|const)\s+[A-Za-z_$][\w$]*)\s*=\s*(?:JSON\.parse\(\s*)?["'{\[]"#,
    )
    .expect("a valid regex")
});

/// The start of a chunk of the React Server Components payload that Next.js's app router streams into its pages:
/// `self.__next_f.push([1,"..."])`.
static FLIGHT_CHUNK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"self\.__next_f\.push\(\[\s*1\s*,\s*""#).expect("a valid regex"));

/// Every JSON state the page's scripts hold, parsed.
pub(super) fn states(document: &Html) -> Vec<Value> {
    let mut states = Vec::new();
    let mut flight = String::new();
    for script in document.select(&SCRIPT) {
        let kind = script.value().attr("type").unwrap_or("").trim().to_ascii_lowercase();
        if kind.contains("ld+json") || !(kind.is_empty() || kind.contains("javascript") || kind.contains("json")) {
            continue;
        }
        let text: String = script.text().collect();
        if text.len() > MAX_SCRIPT_BYTES || text.trim().is_empty() {
            continue;
        }
        if kind.contains("json") {
            let Ok(value) = serde_json::from_str::<Value>(text.trim()) else { continue };
            let nuxt_payload =
                script.value().id() == Some("__NUXT_DATA__") || script.value().attr("data-nuxt-data").is_some();
            states.push(if nuxt_payload { revive_devalue(&value) } else { value });
        } else {
            states.extend(assigned_states(&text));
            flight_chunks(&text, &mut flight);
        }
    }
    states.extend(flight_rows(&flight));
    states
}

/// Appends the payload chunks a script pushes to `flight` (rows run across chunks, so they are joined first).
fn flight_chunks(script: &str, flight: &mut String) {
    for chunk in FLIGHT_CHUNK.find_iter(script) {
        // The match ends on the chunk's opening quote: a JSON string, as Next.js writes it with JSON.stringify.
        let rest = &script[chunk.end() - 1..];
        if let Some(Ok(Value::String(text))) = serde_json::Deserializer::from_str(rest).into_iter::<Value>().next()
            && flight.len() + text.len() <= MAX_SCRIPT_BYTES
        {
            flight.push_str(&text);
        }
    }
}

/// The JSON rows of a React Server Components payload (`1a:["$","$L1b",null,{"product":{...}}]`); text rows
/// (`1c:T4f2,...`), module rows (`1d:I[...]`) and hints are not JSON and are skipped.
fn flight_rows(flight: &str) -> Vec<Value> {
    flight
        .lines()
        .filter_map(|line| {
            let (_, row) = line.split_once(':')?;
            row.starts_with(['{', '[']).then(|| serde_json::from_str::<Value>(row).ok()).flatten()
        })
        .collect()
}

/// The JSON values a script assigns to globals (`window.__INITIAL_STATE__ = {...};`), including those passed
/// through `JSON.parse("...")`. Assignments of code (a function call, Nuxt 2's `(function(a,b){...})`) are skipped.
fn assigned_states(script: &str) -> Vec<Value> {
    let mut found = Vec::new();
    for assignment in ASSIGNMENT.find_iter(script) {
        // The match ends on the value's first character.
        let rest = &script[assignment.end() - 1..];
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match values.next() {
            Some(Ok(Value::String(inner))) => {
                if let Ok(value) = serde_json::from_str::<Value>(&inner)
                    && (value.is_object() || value.is_array())
                {
                    found.push(value);
                }
            }
            Some(Ok(value)) if value.is_object() || value.is_array() => found.push(value),
            _ => {}
        }
    }
    found
}

/// Rebuilds the tree of a Nuxt 3 payload: a flat array where each object's and array's members are indexes into the
/// array, and special types are tagged arrays (`["Reactive", 3]`, `["Date", "..."]`, `["Set", 4, 5]`).
fn revive_devalue(flat: &Value) -> Value {
    let Value::Array(items) = flat else { return flat.clone() };
    if items.is_empty() {
        return Value::Null;
    }
    let mut budget = MAX_NODES;
    revive_at(items, 0, 0, &mut budget)
}

fn revive_at(items: &[Value], index: i64, depth: usize, budget: &mut usize) -> Value {
    // Negative indexes are devalue's markers for undefined, holes, NaN and infinities.
    let Some(value) = usize::try_from(index).ok().and_then(|i| items.get(i)) else { return Value::Null };
    if depth > MAX_DEPTH || *budget == 0 {
        return Value::Null;
    }
    *budget -= 1;
    let child = |value: &Value, budget: &mut usize| match value.as_i64() {
        Some(index) => revive_at(items, index, depth + 1, budget),
        None => Value::Null,
    };
    match value {
        Value::Array(members) => match members.first() {
            Some(Value::String(tag)) => match tag.as_str() {
                "Date" | "BigInt" | "URL" => members.get(1).cloned().unwrap_or(Value::Null),
                "Set" => Value::Array(members[1..].iter().map(|m| child(m, budget)).collect()),
                "Map" | "RegExp" => Value::Null,
                "null" => {
                    // An object without prototype: key and value indexes in pairs.
                    let mut object = Map::new();
                    for pair in members[1..].chunks(2) {
                        if let [key, value] = pair
                            && let Some(key) = key.as_str()
                        {
                            object.insert(key.to_string(), child(value, budget));
                        }
                    }
                    Value::Object(object)
                }
                // Nuxt's reducers: Reactive, ShallowReactive, Ref, ShallowRef, NuxtError... wrap one value.
                _ => members.get(1).map_or(Value::Null, |m| child(m, budget)),
            },
            _ => Value::Array(members.iter().map(|m| child(m, budget)).collect()),
        },
        Value::Object(members) => {
            Value::Object(members.iter().map(|(key, m)| (key.clone(), child(m, budget))).collect())
        }
        primitive => primitive.clone(),
    }
}
