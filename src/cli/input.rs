//! Reading what commands share: the chain map, the core config, events from
//! NDJSON files with their line numbers, and applying such a history.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chainwatch::config::layers::Layers;
use chainwatch::config::CoreConfig;
use chainwatch::event::{decode, Event};
use chainwatch::map::{load_file, ChainMap};
use chainwatch::monitor::{Applied, Monitor};

pub fn load_map(path: &Path) -> anyhow::Result<Arc<ChainMap>> {
    let (_, map) = load_file(path)?;
    Ok(Arc::new(map))
}

/// The core settings in layers: defaults, `path`, its environment file,
/// then `CHAINWATCH__SECTION__KEY` variables.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<CoreConfig> {
    Ok(layers(path).load()?)
}

pub fn layers(path: Option<&Path>) -> Layers {
    Layers::new(path.map(Path::to_path_buf), std::env::vars())
}

/// One line of an NDJSON event file: the event, or why it is not one.
pub struct Line {
    pub number: usize,
    pub event: Result<Event, Refused>,
}

/// A line that is no event: why, and its `id` if one can be read.
pub struct Refused {
    pub id: Option<String>,
    /// The label the service counts and dead-letters it under.
    pub reason: &'static str,
    pub why: String,
}

/// Events of an NDJSON file in order; blank lines are skipped.
fn read_events(path: &Path) -> anyhow::Result<Vec<Line>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open events file {}", path.display()))?;
    let mut out = Vec::new();
    for (k, line) in BufReader::new(file).split(b'\n').enumerate() {
        let bytes = line.with_context(|| format!("cannot read {}", path.display()))?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        out.push(Line {
            number: k + 1,
            event: decode(&bytes).map_err(|e| Refused {
                id: readable_id(&bytes),
                reason: e.reason(),
                why: e.to_string(),
            }),
        });
    }
    Ok(out)
}

/// The `id` of a message that did not decode, if it has a readable one.
fn readable_id(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    Some(value.get("id")?.as_str()?.to_string())
}

/// Warns on stderr when the map has a cycle that cannot be certified to
/// contract: the items it feeds are reported, but only known to lie in 0..1.
pub fn warn_uncertified(monitor: &Monitor, map: &Path) {
    let items = monitor.engine().uncertified_items();
    if items.is_empty() {
        return;
    }
    eprintln!(
        "{}: warning: {}",
        map.display(),
        uncertified_note(monitor.map(), items)
    );
}

/// "3 items (E, C, X) are fed by a cycle …": what `map check` and the
/// commands that load a map say of an uncertified cycle.
pub fn uncertified_note(map: &ChainMap, items: &[chainwatch::map::ItemIx]) -> String {
    const SHOWN: usize = 10;
    let mut ids: Vec<&str> = items
        .iter()
        .take(SHOWN)
        .map(|i| map.items[*i as usize].id.as_str())
        .collect();
    if items.len() > SHOWN {
        ids.push("…");
    }
    format!(
        "{} item(s) ({}) are fed by a cycle that cannot be certified to contract \
         (critical inputs only, or a firm that needs its own product): their \
         values are only known to lie in 0..1; make an input of the cycle \
         non-critical",
        items.len(),
        ids.join(", ")
    )
}

/// What a history did: events applied, duplicates, and lines rejected.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub applied: usize,
    pub duplicates: usize,
    pub rejected: usize,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} applied, {} duplicate, {} rejected",
            self.applied, self.duplicates, self.rejected
        )
    }
}

/// Applies the events of `path` in order, each judged at its own time. A
/// line that is no event, or that the monitor refuses, is reported on stderr
/// with its number and skipped; `each` sees every event applied.
pub fn apply_history(
    monitor: &mut Monitor,
    path: &Path,
    mut each: impl FnMut(&Line, &Event, Applied) -> anyhow::Result<()>,
) -> anyhow::Result<Tally> {
    let origin = path.display();
    let mut tally = Tally::default();
    for line in read_events(path)? {
        let event = match &line.event {
            Ok(e) => e,
            Err(Refused { id, reason, why }) => {
                tally.rejected += 1;
                // The id, where it can be read, finds the message upstream.
                let id = id.as_ref().map(|i| format!(" ({i})")).unwrap_or_default();
                eprintln!(
                    "{origin} line {}{id}: rejected ({reason}): {why}",
                    line.number
                );
                continue;
            }
        };
        match monitor.apply(event, event.ts()) {
            Ok(done) if done.duplicate => tally.duplicates += 1,
            Ok(done) => {
                tally.applied += 1;
                each(&line, event, done)?;
            }
            Err(e) => {
                tally.rejected += 1;
                // The label is the service's, so a replay reads like its
                // metrics and dead letters.
                eprintln!(
                    "{origin} line {} ({}): rejected ({}): {e}",
                    line.number,
                    event.id(),
                    e.reason()
                );
            }
        }
    }
    Ok(tally)
}
