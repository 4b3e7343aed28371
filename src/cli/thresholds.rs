//! `chainwatch thresholds get|set|preview`: the admin API of a running
//! service, for people (a table) or scripts (`--json`). The token comes
//! from `--token-file` (its first `name:secret` or bare secret) or
//! `CHAINWATCH_ADMIN_TOKEN`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::{json, Value};

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The service's admin address.
    #[arg(long, default_value = "http://127.0.0.1:9464")]
    url: String,
    /// File holding the bearer token (`name:secret` or the secret alone).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Print the service's JSON answer as it is.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct Values {
    #[arg(long)]
    watch: Option<f64>,
    #[arg(long)]
    warning: Option<f64>,
    #[arg(long)]
    critical: Option<f64>,
    /// How far under its threshold an open alert's risk must fall to resolve.
    #[arg(long)]
    resolve_margin: Option<f64>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show the thresholds in force and where they come from.
    Get(Common),
    /// Apply new thresholds (audited; keys left out keep their values).
    Set {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        values: Values,
        /// Why: recorded in the audit.
        #[arg(long)]
        reason: String,
        /// Drop the thresholds set through the API; the files' apply again.
        #[arg(long)]
        reset: bool,
    },
    /// What proposed thresholds would fire, change or resolve now, and how
    /// many alert changes they would have made over the recent events.
    Preview {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        values: Values,
    },
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Get(c) => {
            let v = call(&c, "GET", "/api/v1/thresholds", None)?;
            print(&c, &v, get_table)
        }
        Command::Set {
            common,
            values,
            reason,
            reset,
        } => {
            let mut body = patch(&values);
            body["reason"] = json!(reason);
            if reset {
                body["reset"] = json!(true);
            }
            let v = call(&common, "PUT", "/api/v1/thresholds", Some(body))?;
            print(&common, &v, set_table)
        }
        Command::Preview { common, values } => {
            let v = call(
                &common,
                "POST",
                "/api/v1/thresholds/preview",
                Some(patch(&values)),
            )?;
            print(&common, &v, preview_table)
        }
    }
}

fn patch(v: &Values) -> Value {
    let mut out = json!({});
    for (k, x) in [
        ("watch", v.watch),
        ("warning", v.warning),
        ("critical", v.critical),
        ("resolve_margin", v.resolve_margin),
    ] {
        if let Some(x) = x {
            out[k] = json!(x);
        }
    }
    out
}

fn token(c: &Common) -> anyhow::Result<Option<String>> {
    let raw = match &c.token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read token file {}", p.display()))?,
        ),
        None => std::env::var(chainwatch::service::auth::TOKEN_VAR).ok(),
    };
    Ok(raw.and_then(|t| {
        let line = t
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?
            .to_string();
        Some(match line.split_once(':') {
            Some((_, secret)) => secret.trim().to_string(),
            None => line,
        })
    }))
}

/// The answer's JSON, or an error with the service's reason.
fn call(c: &Common, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
    let url = format!("{}{path}", c.url.trim_end_matches('/'));
    let client = reqwest::blocking::Client::new();
    let mut request = match method {
        "GET" => client.get(&url),
        "PUT" => client.put(&url).json(&body.unwrap_or(json!({}))),
        _ => client.post(&url).json(&body.unwrap_or(json!({}))),
    };
    if let Some(t) = token(c)? {
        request = request.bearer_auth(t);
    }
    let response = request
        .send()
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let text = response
        .text()
        .with_context(|| format!("cannot read the answer of {url}"))?;
    let v: Value = serde_json::from_str(&text).unwrap_or(json!({ "error": text }));
    if !status.is_success() {
        anyhow::bail!(
            "{method} {url}: {status}: {}",
            v["error"].as_str().unwrap_or(&text)
        );
    }
    Ok(v)
}

fn print(c: &Common, v: &Value, table: fn(&Value) -> String) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if c.json {
        writeln!(out, "{}", serde_json::to_string_pretty(v)?)?;
    } else {
        write!(out, "{}", table(v))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The thresholds shown, in the order people read them.
const LEVELS: [&str; 4] = ["watch", "warning", "critical", "resolve_margin"];

fn num(v: &Value) -> String {
    v.as_f64().map_or_else(|| "-".into(), |x| format!("{x}"))
}

fn get_table(v: &Value) -> String {
    let mut out = format!("settings hash {}\n", v["hash"].as_str().unwrap_or(""));
    out += &format!(
        "{:<14} {:>9} {:>11}\n",
        "threshold", "in force", "from files"
    );
    for k in LEVELS {
        out += &format!(
            "{:<14} {:>9} {:>11}\n",
            k,
            num(&v["thresholds"][k]),
            num(&v["from_files"][k])
        );
    }
    if !v["overrides"].is_null() {
        out += "set through the API (kept over the files until `thresholds set --reset`)\n";
    }
    out
}

fn set_table(v: &Value) -> String {
    let mut out = format!(
        "applied by {}; settings hash {}\n",
        v["who"].as_str().unwrap_or(""),
        v["hash"].as_str().unwrap_or("")
    );
    out += &format!("{:<14} {:>6} {:>6}\n", "threshold", "old", "new");
    for k in LEVELS {
        out += &format!(
            "{:<14} {:>6} {:>6}\n",
            k,
            num(&v["old"][k]),
            num(&v["new"][k])
        );
    }
    out
}

fn preview_table(v: &Value) -> String {
    let mut out = String::from("threshold       current  proposed\n");
    for k in LEVELS {
        out += &format!(
            "{:<14} {:>8} {:>9}\n",
            k,
            num(&v["current"][k]),
            num(&v["proposed"][k])
        );
    }
    out += &format!(
        "judged at {}\n",
        v["judged_at"].as_str().unwrap_or("(no event yet)")
    );
    for (key, title) in [
        ("fire", "would fire"),
        ("change", "would change severity"),
        ("resolve", "would resolve"),
    ] {
        let list = v[key].as_array().cloned().unwrap_or_default();
        out += &format!("\n{title}: {}\n", list.len());
        if !list.is_empty() {
            out += &format!(
                "  {:<6} {:<6} {:>8}  {:<8} {:<8}  {}\n",
                "chain", "node", "risk", "from", "to", "name"
            );
        }
        for c in list {
            out += &format!(
                "  {:<6} {:<6} {:>8.4}  {:<8} {:<8}  {}\n",
                c["chain"].as_str().unwrap_or(""),
                c["node"].as_str().unwrap_or(""),
                c["risk"].as_f64().unwrap_or(0.0),
                c["from"].as_str().unwrap_or(""),
                c["to"].as_str().unwrap_or(""),
                c["node_name"].as_str().unwrap_or("")
            );
        }
    }
    let w = &v["window"];
    out += &format!(
        "\nover the last {} events: {} alert state changes under the current thresholds, {} under the proposed\n",
        w["events"], w["current_changes"], w["proposed_changes"]
    );
    out
}
