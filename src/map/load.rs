//! Reading a chain map from text or a file: syntax first, then every rule.

use std::path::Path;

use super::compiled::ChainMap;
use super::doc::ChainMapDoc;
use super::problem::MapError;
use super::validate::validate;

/// Parses and validates a map; `origin` names it in errors (a path or "<stdin>").
pub fn parse_str(text: &str, origin: &str) -> Result<(ChainMapDoc, ChainMap), MapError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let doc: ChainMapDoc = serde_path_to_error::deserialize(de).map_err(|e| MapError::Syntax {
        origin: origin.to_string(),
        at: match e.path().to_string() {
            p if p == "." => "the top level".to_string(),
            p => p,
        },
        message: e.inner().to_string(),
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
    let text = std::fs::read_to_string(path).map_err(|source| MapError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_str(&text, &path.display().to_string())
}
