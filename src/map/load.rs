//! Reading a chain map from text or a file: syntax first, then every rule.

use std::path::Path;

use super::compiled::ChainMap;
use super::doc::ChainMapDoc;
use super::problem::MapError;
use super::validate::validate;

/// Parses and validates a map; `origin` names it in errors (a path or "<stdin>").
pub fn parse_str(text: &str, origin: &str) -> Result<(ChainMapDoc, ChainMap), MapError> {
    // Editors on Windows start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.trim_start().starts_with('{') {
        return Err(MapError::Syntax {
            origin: origin.to_string(),
            at: "the top level".to_string(),
            message: "expected a JSON object (a chain map starts with `{`)".to_string(),
        });
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let doc: ChainMapDoc = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let at = match e.path().to_string() {
            p if p == "." || p == "?" => "the top level".to_string(),
            p => p,
        };
        MapError::Syntax {
            origin: origin.to_string(),
            at,
            // serde names the Rust type it wanted; the reader wants the word.
            message: e
                .inner()
                .to_string()
                .replace("struct ChainMapDoc", "a chain map object"),
        }
    })?;
    // One document per file: two maps run together, or a corrupted tail,
    // must not load as the first (QA).
    de.end().map_err(|e| MapError::Syntax {
        origin: origin.to_string(),
        at: "the end".to_string(),
        message: e.to_string(),
    })?;
    let problems = validate(&doc);
    if !problems.is_empty() {
        return Err(MapError::Invalid {
            origin: origin.to_string(),
            problems,
        });
    }
    let map = ChainMap::compile(&doc);
    Ok((doc, map))
}

pub fn load_file(path: &Path) -> Result<(ChainMapDoc, ChainMap), MapError> {
    let bytes = std::fs::read(path).map_err(|source| MapError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let origin = path.display().to_string();
    // Bytes that are no text are a bad map (exit 1), not a failed read.
    let text = String::from_utf8(bytes).map_err(|e| MapError::Syntax {
        origin: origin.clone(),
        at: format!("byte {}", e.utf8_error().valid_up_to()),
        message: "not UTF-8 text".to_string(),
    })?;
    parse_str(&text, &origin)
}
