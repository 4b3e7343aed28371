//! The CSET ETO Chip Explorer converter: reads the five CSV files of
//! georgetown-cset/eto-chip-explorer (`inputs`, `providers`, `provision`,
//! `sequence`, `stages`) and writes one chain map (chain `ic`), applying the
//! overlay for what the data does not say. The rules are in
//! `docs/chain-map.md`, section "Importing CSET"; every row that is not used
//! as written is counted in the [`ImportReport`], never dropped silently.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::map::{
    validate, ChainDoc, ChainMapDoc, FirmDoc, InputDoc, ItemDoc, ProducesDoc, SubstituteDoc,
    SubstituteGrade, SCHEMA_VERSION,
};

use super::country::{alpha2, UNATTRIBUTED};
use super::overlay::Overlay;
use super::ImportError;

pub const CHAIN_ID: &str = "ic";
pub const CHAIN_NAME: &str = "Integrated circuits (advanced logic)";
const REPOSITORY: &str = "georgetown-cset/eto-chip-explorer";
const LICENCE: &str = "CC BY-NC 4.0";

/// CSET's country for its catch-all providers ("Various companies" is an
/// organisation in "Various countries"): shares nobody is named for.
const VARIOUS: &str = "Various countries";

const INPUTS: &str = "inputs.csv";
const PROVIDERS: &str = "providers.csv";
const PROVISION: &str = "provision.csv";
const SEQUENCE: &str = "sequence.csv";
const STAGES: &str = "stages.csv";

/// Shares above 100% by more than this are scaled down; below by more than
/// this get an unattributed remainder. Float noise only, not a rounding rule.
const EPS: f64 = 1e-9;

/// The map and the account of how it was made.
#[derive(Debug, Clone)]
pub struct Imported {
    pub doc: ChainMapDoc,
    pub report: ImportReport,
}

/// Rows read per file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub inputs: usize,
    pub providers: usize,
    pub provision: usize,
    pub sequence: usize,
    pub stages: usize,
}

/// How a family parent's member weights were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyWeighting {
    /// Every member has a market size (its own, or its members' sum).
    MarketSizes,
    /// Some members had no size and were given one (see the docs).
    FilledSizes,
    /// Nothing usable was known: equal weights.
    Equal,
}

/// What the import did, in numbers, for the CLI and for review.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub source: String,
    /// Whether a SOURCE file named the commit; without it the source says "unknown".
    pub source_file_found: bool,
    pub rows: RowCounts,

    pub items: usize,
    /// Items that are a family (have `is_type_of` members): aggregates.
    pub family_parents: usize,
    /// Recipe inputs from `goes_into` rows.
    pub recipe_inputs: usize,
    /// Recipe inputs of family parents from their members (non-critical, weighted).
    pub member_inputs: usize,
    /// `goes_into` rows the overlay made non-critical.
    pub edges_softened: usize,
    /// Sequence rows repeating an edge already made (kept once).
    pub duplicate_edges: usize,
    /// Items named `is_type_of` more than one family; the first is their `family`.
    pub items_in_several_families: Vec<String>,
    pub weighting: BTreeMap<String, FamilyWeighting>,
    /// Items whose market size text was present but could not be read.
    pub unreadable_market_sizes: Vec<String>,
    /// Items with a grade from the overlay.
    pub graded_items: usize,

    /// Organisations from providers.csv (catch-all providers excluded).
    pub firms: usize,
    /// providers.csv rows repeating a provider id (merged, aliases kept).
    pub provider_rows_merged: usize,
    /// Catch-all organisations (country "Various countries"): not firms, their
    /// shares go to the item's unattributed producer.
    pub catch_all_providers: Vec<String>,
    /// Names provision.csv uses for a firm that differ from providers.csv, kept as aliases.
    pub provision_names_as_aliases: usize,
    /// Firms made up for shares nobody is named for (`CSET-<cc>-<item>`).
    pub synthetic_firms: usize,
    pub producer_lines: usize,

    pub stage_rows_skipped: usize,
    /// Provision rows (stage rows excluded) with a blank share; how each was
    /// handled is in the counts below.
    pub rows_without_share: usize,
    /// Provision rows of family parents: aggregate market shares, not used.
    pub family_rows_not_used: usize,
    /// Items made of inputs of their own kind (a tool of tools): aggregates.
    pub made_of_own_kind: Vec<String>,
    /// Their provision rows: shares their parts' makers already hold there.
    pub made_of_own_kind_rows_not_used: usize,
    /// Organisation rows whose own share became a producer line.
    pub org_rows_with_share: usize,
    /// Catch-all organisation rows folded into the unattributed producer.
    pub catch_all_rows: usize,
    /// Organisation rows without a share on items where other organisations have
    /// shares: they get nothing.
    pub org_rows_without_share_ignored: usize,
    /// Country rows not needed because the item's organisations have shares.
    pub country_rows_not_needed: usize,
    /// Items whose organisations have no shares and whose countries do.
    pub country_fallback_items: Vec<String>,
    /// Country rows whose share was used (spread or as a country producer).
    pub country_rows_used: usize,
    /// Country shares spread over the country's named organisations: lines made.
    pub org_lines_from_country_share: usize,
    /// Country shares with no named organisation: `CSET-<cc>-<item>` producers.
    pub country_producers: usize,
    /// Organisations named for a country-fallback item whose country has no share.
    pub orgs_left_without_share: usize,
    /// Items with no share anywhere: 100% spread equally over named organisations.
    pub equal_spread_items: Vec<String>,
    /// Items with country rows only (no organisation named).
    pub country_only_items: Vec<String>,
    /// Items whose provision rows hold nothing usable (no share, no organisation).
    pub items_without_usable_rows: Vec<String>,
    /// Items given a `CSET-XX-<item>` producer for the share nobody is named for.
    pub unattributed_remainders: usize,
    /// Items whose shares summed over 100% and were scaled down to 100%.
    pub renormalised_items: Vec<String>,
    /// Items nobody produces (processes, the finished chip, families): made in place.
    pub items_made_in_place: usize,

    pub substitutes_same_grade: usize,
    pub substitutes_downgraded: usize,
    /// Pairs not emitted because the overlay lists their family in `not_substitutes`.
    pub pairs_not_substitutes: usize,
    /// Pairs not emitted in a graded family because one member has no grade.
    pub pairs_ungraded_in_graded_family: usize,
    /// Pairs not emitted because one member is the other's family.
    pub pairs_parent_and_member: usize,

    /// Overlay entries naming ids or edges absent from this data.
    pub overlay_unused: Vec<String>,
}

// ---------------------------------------------------------------------------
// Rows as written.

#[derive(Debug, Deserialize)]
struct InputRow {
    input_id: String,
    input_name: String,
    #[serde(rename = "type")]
    kind: String,
    stage_id: String,
    market_share_chart_global_market_size_info: String,
}
const INPUT_COLUMNS: &[&str] = &[
    "input_id",
    "input_name",
    "type",
    "stage_id",
    "market_share_chart_global_market_size_info",
];

#[derive(Debug, Deserialize)]
struct ProviderRow {
    provider_name: String,
    alias: String,
    provider_id: String,
    provider_type: String,
    country: String,
}
const PROVIDER_COLUMNS: &[&str] = &[
    "provider_name",
    "alias",
    "provider_id",
    "provider_type",
    "country",
];

#[derive(Debug, Deserialize)]
struct ProvisionRow {
    provider_name: String,
    provider_id: String,
    provided_id: String,
    share_provided: String,
}
const PROVISION_COLUMNS: &[&str] = &[
    "provider_name",
    "provider_id",
    "provided_id",
    "share_provided",
];

#[derive(Debug, Deserialize)]
struct SequenceRow {
    input_id: String,
    goes_into_id: String,
    is_type_of_id: String,
}
const SEQUENCE_COLUMNS: &[&str] = &["input_id", "goes_into_id", "is_type_of_id"];

#[derive(Debug, Deserialize)]
struct StageRow {
    stage_id: String,
}
const STAGE_COLUMNS: &[&str] = &["stage_id"];

/// Reads one CSV file into typed rows, each with its spreadsheet row number
/// (header = 1). Extra columns are ignored: CSET adds columns over time.
fn read_table<T: DeserializeOwned>(
    dir: &Path,
    file: &'static str,
    columns: &[&str],
) -> Result<Vec<(u64, T)>, ImportError> {
    let path = dir.join(file);
    let handle = std::fs::File::open(&path).map_err(|source| ImportError::Read {
        path: path.clone(),
        source,
    })?;
    read_rows(handle, file, columns)
}

fn read_rows<T: DeserializeOwned, R: std::io::Read>(
    reader: R,
    file: &str,
    columns: &[&str],
) -> Result<Vec<(u64, T)>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let raw = rdr
        .headers()
        .map_err(|e| csv_error(file, &e, None))?
        .clone();
    // A spreadsheet export may start with a byte-order mark the csv crate keeps.
    let headers: csv::StringRecord = raw
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            }
            .trim()
        })
        .collect();
    rdr.set_headers(headers.clone());
    for column in columns {
        if !headers.iter().any(|h| h == *column) {
            return Err(ImportError::MissingColumn {
                file: file.to_string(),
                column: column.to_string(),
                header: headers.iter().collect::<Vec<_>>().join(","),
            });
        }
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, &e, Some(&headers))),
        }
        let row = record.position().map_or(0, |p| p.record() + 1);
        let value: T = record
            .deserialize(Some(&headers))
            .map_err(|e| csv_error(file, &e, Some(&headers)))?;
        rows.push((row, value));
    }
    Ok(rows)
}

fn csv_error(file: &str, e: &csv::Error, headers: Option<&csv::StringRecord>) -> ImportError {
    let row = e.position().map_or(0, |p| p.record() + 1);
    let column = |i: u64| {
        headers
            .and_then(|h| h.get(i as usize))
            .map_or_else(|| format!("#{}", i + 1), str::to_string)
    };
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("column {} is not valid UTF-8", column(err.field() as u64))
        }
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => format!("column {}: {}", column(i), err.kind()),
            None => err.kind().to_string(),
        },
        _ => e.to_string(),
    };
    ImportError::Csv {
        file: file.to_string(),
        row,
        message,
    }
}

fn bad(file: &str, row: u64, column: &str, value: &str, problem: impl Into<String>) -> ImportError {
    ImportError::BadValue {
        file: file.to_string(),
        row,
        column: column.to_string(),
        value: value.to_string(),
        problem: problem.into(),
    }
}

fn unknown(
    file: &str,
    row: u64,
    column: &str,
    id: &str,
    kind: &'static str,
    defined_in: &'static str,
) -> ImportError {
    ImportError::UnknownId {
        file: file.to_string(),
        row,
        column: column.to_string(),
        id: id.to_string(),
        kind,
        defined_in,
    }
}

fn non_empty<'a>(
    file: &str,
    row: u64,
    column: &str,
    value: &'a str,
) -> Result<&'a str, ImportError> {
    let v = value.trim();
    if v.is_empty() {
        Err(bad(file, row, column, value, "is empty"))
    } else {
        Ok(v)
    }
}

// ---------------------------------------------------------------------------
// Checked data: every id resolved to an index.

struct Input {
    id: String,
    name: String,
    kind: String,
    size_text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ProviderKind {
    Organisation,
    Country,
}

struct Provider {
    id: String,
    name: String,
    kind: ProviderKind,
    /// As CSET writes it: alpha-3, "Various countries" or blank. For a country
    /// provider, its own code (the provider name).
    country: String,
    aliases: Vec<String>,
    row: u64,
}

impl Provider {
    fn is_catch_all(&self) -> bool {
        self.kind == ProviderKind::Organisation && self.country.trim().eq_ignore_ascii_case(VARIOUS)
    }

    fn alpha2(&self) -> &'static str {
        alpha2(&self.country)
    }
}

struct Provision {
    provider: usize,
    item: usize,
    /// Percent, 0..=100.
    share: Option<f64>,
}

struct Data {
    inputs: Vec<Input>,
    providers: Vec<Provider>,
    /// (input, goes_into) in file order.
    goes_into: Vec<(usize, usize)>,
    /// (member, family) in file order.
    is_type_of: Vec<(usize, usize)>,
    provision: Vec<Provision>,
    rows: RowCounts,
    stage_rows_skipped: usize,
    rows_without_share: usize,
    provider_rows_merged: usize,
    provision_names_as_aliases: usize,
}

fn read_data(dir: &Path, overlay: &Overlay) -> Result<Data, ImportError> {
    let stage_rows: Vec<(u64, StageRow)> = read_table(dir, STAGES, STAGE_COLUMNS)?;
    let mut stages: HashMap<String, u64> = HashMap::new();
    for (row, s) in &stage_rows {
        let id = non_empty(STAGES, *row, "stage_id", &s.stage_id)?;
        if let Some(first) = stages.insert(id.to_string(), *row) {
            return Err(ImportError::Duplicate {
                file: STAGES.into(),
                row: *row,
                column: "stage_id".into(),
                what: "stage id",
                id: id.into(),
                first_row: first,
            });
        }
    }

    let input_rows: Vec<(u64, InputRow)> = read_table(dir, INPUTS, INPUT_COLUMNS)?;
    let mut inputs = Vec::with_capacity(input_rows.len());
    let mut item_ix: HashMap<String, (usize, u64)> = HashMap::new();
    for (row, r) in &input_rows {
        let id = non_empty(INPUTS, *row, "input_id", &r.input_id)?;
        let name = non_empty(INPUTS, *row, "input_name", &r.input_name)?;
        let kind = r.kind.trim();
        if !overlay.inventory_days.by_type.contains_key(kind)
            && !overlay.inventory_days.by_item.contains_key(id)
        {
            return Err(bad(
                INPUTS,
                *row,
                "type",
                &r.kind,
                "has no inventory days in the overlay (inventory_days.by_type)",
            ));
        }
        let stage = r.stage_id.trim();
        if !stage.is_empty() && !stages.contains_key(stage) {
            return Err(unknown(INPUTS, *row, "stage_id", stage, "stage", STAGES));
        }
        if let Some((_, first)) = item_ix.insert(id.to_string(), (inputs.len(), *row)) {
            return Err(ImportError::Duplicate {
                file: INPUTS.into(),
                row: *row,
                column: "input_id".into(),
                what: "input id",
                id: id.into(),
                first_row: first,
            });
        }
        inputs.push(Input {
            id: id.to_string(),
            name: name.to_string(),
            kind: kind.to_string(),
            size_text: r
                .market_share_chart_global_market_size_info
                .trim()
                .to_string(),
        });
    }
    let item = |row: u64, column: &str, id: &str| -> Result<usize, ImportError> {
        item_ix
            .get(id)
            .map(|(ix, _)| *ix)
            .ok_or_else(|| unknown(SEQUENCE, row, column, id, "input", INPUTS))
    };

    let sequence_rows: Vec<(u64, SequenceRow)> = read_table(dir, SEQUENCE, SEQUENCE_COLUMNS)?;
    let mut goes_into = Vec::new();
    let mut is_type_of = Vec::new();
    for (row, r) in &sequence_rows {
        let input_id = non_empty(SEQUENCE, *row, "input_id", &r.input_id)?;
        let input = item(*row, "input_id", input_id)?;
        let into = r.goes_into_id.trim();
        let family = r.is_type_of_id.trim();
        if into.is_empty() && family.is_empty() {
            return Err(bad(
                SEQUENCE,
                *row,
                "goes_into_id",
                into,
                "is empty and so is is_type_of_id: the row links nothing",
            ));
        }
        for (column, target) in [("goes_into_id", into), ("is_type_of_id", family)] {
            if target.is_empty() {
                continue;
            }
            let t = item(*row, column, target)?;
            if t == input {
                return Err(bad(
                    SEQUENCE,
                    *row,
                    column,
                    target,
                    "is the row's own input_id",
                ));
            }
            if column == "goes_into_id" {
                goes_into.push((input, t));
            } else {
                is_type_of.push((input, t));
            }
        }
    }

    let provider_rows: Vec<(u64, ProviderRow)> = read_table(dir, PROVIDERS, PROVIDER_COLUMNS)?;
    let mut providers: Vec<Provider> = Vec::new();
    let mut provider_ix: HashMap<String, usize> = HashMap::new();
    let mut provider_rows_merged = 0;
    for (row, r) in &provider_rows {
        let id = non_empty(PROVIDERS, *row, "provider_id", &r.provider_id)?;
        let name = non_empty(PROVIDERS, *row, "provider_name", &r.provider_name)?;
        let kind = match r.provider_type.trim() {
            "organization" | "organisation" => ProviderKind::Organisation,
            "country" => ProviderKind::Country,
            _ => {
                return Err(bad(
                    PROVIDERS,
                    *row,
                    "provider_type",
                    &r.provider_type,
                    "is neither \"organization\" nor \"country\"",
                ))
            }
        };
        // A country provider is named by its code; its country column is blank
        // (or repeats the code, as for "EUR").
        let country = match kind {
            ProviderKind::Country => name.to_string(),
            ProviderKind::Organisation => r.country.trim().to_string(),
        };
        let alias = r.alias.trim();
        if let Some(&ix) = provider_ix.get(id) {
            // CSET repeats a provider row to list another alias; anything else
            // differing is a contradiction, not an alias.
            let p = &mut providers[ix];
            let first = p.row;
            if p.kind != kind {
                return Err(bad(
                    PROVIDERS,
                    *row,
                    "provider_type",
                    &r.provider_type,
                    format!("contradicts row {first} for provider {id}"),
                ));
            }
            if !p.country.eq_ignore_ascii_case(&country) {
                return Err(bad(
                    PROVIDERS,
                    *row,
                    "country",
                    &r.country,
                    format!(
                        "contradicts row {first} for provider {id} ({:?})",
                        p.country
                    ),
                ));
            }
            for extra in [name, alias] {
                if !extra.is_empty() && extra != p.name && !p.aliases.iter().any(|a| a == extra) {
                    p.aliases.push(extra.to_string());
                }
            }
            provider_rows_merged += 1;
            continue;
        }
        let mut aliases = Vec::new();
        if !alias.is_empty() && alias != name {
            aliases.push(alias.to_string());
        }
        provider_ix.insert(id.to_string(), providers.len());
        providers.push(Provider {
            id: id.to_string(),
            name: name.to_string(),
            kind,
            country,
            aliases,
            row: *row,
        });
    }

    let provision_rows: Vec<(u64, ProvisionRow)> = read_table(dir, PROVISION, PROVISION_COLUMNS)?;
    let mut provision = Vec::new();
    let mut stage_rows_skipped = 0;
    let mut provision_names_as_aliases = 0;
    let mut seen: HashMap<(usize, usize), u64> = HashMap::new();
    for (row, r) in &provision_rows {
        let pid = non_empty(PROVISION, *row, "provider_id", &r.provider_id)?;
        let provider = *provider_ix
            .get(pid)
            .ok_or_else(|| unknown(PROVISION, *row, "provider_id", pid, "provider", PROVIDERS))?;
        let provided = non_empty(PROVISION, *row, "provided_id", &r.provided_id)?;
        if stages.contains_key(provided) {
            // Stage rows are country shares of a whole stage (design,
            // fabrication, ATP): no item of the map stands for them.
            stage_rows_skipped += 1;
            continue;
        }
        let item = item_ix.get(provided).map(|(ix, _)| *ix).ok_or_else(|| {
            unknown(
                PROVISION,
                *row,
                "provided_id",
                provided,
                "input",
                "inputs.csv or stages.csv",
            )
        })?;
        let share = match r.share_provided.trim() {
            "" => None,
            text => {
                let v: f64 = text
                    .parse()
                    .map_err(|_| bad(PROVISION, *row, "share_provided", text, "is not a number"))?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(bad(
                        PROVISION,
                        *row,
                        "share_provided",
                        text,
                        "is not a percentage from 0 to 100",
                    ));
                }
                Some(v)
            }
        };
        if let Some(first) = seen.insert((provider, item), *row) {
            return Err(ImportError::Duplicate {
                file: PROVISION.into(),
                row: *row,
                column: "provided_id".into(),
                what: "provider and item pair",
                id: format!("{pid} → {provided}"),
                first_row: first,
            });
        }
        // The report's text sometimes names a firm as it was before CSET's
        // 2022 corrections ("Fujifilm" for "Fujifilm Electronic Materials"):
        // a name the firm is known by, so a sanction notice may use it.
        let p = &mut providers[provider];
        let named = r.provider_name.trim();
        if p.kind == ProviderKind::Organisation
            && !p.is_catch_all()
            && !named.is_empty()
            && named != p.name
            && !p.aliases.iter().any(|a| a == named)
        {
            p.aliases.push(named.to_string());
            provision_names_as_aliases += 1;
        }
        provision.push(Provision {
            provider,
            item,
            share,
        });
    }

    let rows_without_share = provision.iter().filter(|p| p.share.is_none()).count();
    Ok(Data {
        inputs,
        providers,
        goes_into,
        is_type_of,
        provision,
        rows: RowCounts {
            inputs: input_rows.len(),
            providers: provider_rows.len(),
            provision: provision_rows.len(),
            sequence: sequence_rows.len(),
            stages: stage_rows.len(),
        },
        stage_rows_skipped,
        rows_without_share,
        provider_rows_merged,
        provision_names_as_aliases,
    })
}

// ---------------------------------------------------------------------------
// Market sizes.

/// Reads CSET's market size text ("$13 billion (2025)", "$508 million (2025)",
/// "$56.2 billion (microprocessors) (2019)") as millions of US dollars.
/// Anything after the amount and its unit (year, scope) is ignored.
pub fn parse_market_size(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t
        .strip_prefix("US$")
        .or_else(|| t.strip_prefix('$'))?
        .trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let amount: f64 = t[..end].replace(',', "").parse().ok()?;
    let unit = t[end..]
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let millions = match unit.as_str() {
        "trillion" | "tn" => amount * 1e6,
        "billion" | "bn" | "b" => amount * 1e3,
        "million" | "mn" | "m" => amount,
        "thousand" | "k" => amount * 1e-3,
        "" => amount * 1e-6,
        _ => return None,
    };
    millions.is_finite().then_some(millions)
}

/// A member's size for weighting: its own, else (for a nested family) the sum
/// of its members' when every one of them is known. `visiting` guards cycles.
fn effective_size(
    ix: usize,
    own: &[Option<f64>],
    members: &[Vec<usize>],
    visiting: &mut [bool],
) -> Option<f64> {
    if let Some(s) = own[ix] {
        return Some(s);
    }
    if members[ix].is_empty() || visiting[ix] {
        return None;
    }
    visiting[ix] = true;
    let mut sum = 0.0;
    let mut all = true;
    for &m in &members[ix] {
        match effective_size(m, own, members, visiting) {
            Some(s) => sum += s,
            None => {
                all = false;
                break;
            }
        }
    }
    visiting[ix] = false;
    all.then_some(sum)
}

/// Weights of a family's members from their sizes (any unit), given the
/// family's own size. Members without a size are filled with what the parent
/// leaves over, split equally, but never more than the known members' mean:
/// a parent's total often covers segments CSET does not break out (N6 "Logic
/// chip design" is all logic, its members four products), so the leftover is
/// an upper bound, not an estimate. With nothing known, weights are equal.
fn member_weights(sizes: &[Option<f64>], parent: Option<f64>) -> (Vec<f64>, FamilyWeighting) {
    let n = sizes.len();
    let equal = || (vec![1.0 / n as f64; n], FamilyWeighting::Equal);
    if n == 0 {
        return (Vec::new(), FamilyWeighting::Equal);
    }
    let known: Vec<f64> = sizes.iter().flatten().copied().collect();
    if known.is_empty() {
        return equal();
    }
    let unknown = n - known.len();
    let known_sum: f64 = known.iter().sum();
    let fill = if unknown == 0 {
        0.0
    } else {
        let mean = known_sum / known.len() as f64;
        match parent {
            Some(p) if p > known_sum => ((p - known_sum) / unknown as f64).min(mean),
            _ => mean,
        }
    };
    let filled: Vec<f64> = sizes.iter().map(|s| s.unwrap_or(fill)).collect();
    let total: f64 = filled.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return equal();
    }
    let how = if unknown == 0 {
        FamilyWeighting::MarketSizes
    } else {
        FamilyWeighting::FilledSizes
    };
    (filled.iter().map(|s| s / total).collect(), how)
}

// ---------------------------------------------------------------------------
// Producers.

/// Who a producer line belongs to before firms are written.
#[derive(Clone, PartialEq, Eq)]
enum Holder {
    Org(usize),
    /// Unattributed producers of one country: (alpha-2, CSET's code).
    Country(&'static str, String),
    /// Producers nobody is named for (`CSET-XX-<item>`).
    Unattributed,
}

fn unattributed_id(cc: &str, item: &str) -> String {
    format!("CSET-{cc}-{item}")
}

/// Decides the producer lines of one item (fractions, before rounding).
fn producers_of(
    item: usize,
    rows: &[&Provision],
    data: &Data,
    report: &mut ImportReport,
) -> Vec<(Holder, f64)> {
    let providers = &data.providers;
    let id = &data.inputs[item].id;
    let mut lines: Vec<(Holder, f64)> = Vec::new();
    fn add(lines: &mut Vec<(Holder, f64)>, h: Holder, share: f64) {
        match lines.iter_mut().find(|(k, _)| *k == h) {
            Some((_, s)) => *s += share,
            None => lines.push((h, share)),
        }
    }
    let named: Vec<&&Provision> = rows
        .iter()
        .filter(|r| {
            let p = &providers[r.provider];
            p.kind == ProviderKind::Organisation && !p.is_catch_all()
        })
        .collect();
    let countries: Vec<&&Provision> = rows
        .iter()
        .filter(|r| providers[r.provider].kind == ProviderKind::Country)
        .collect();
    // The catch-all's share: the part of the organisation side nobody is
    // named for. Booked where organisations carry the shares; where country
    // rows do, their "Various countries" row already stands for it.
    let catch_all_rows: Vec<f64> = rows
        .iter()
        .filter(|r| providers[r.provider].is_catch_all())
        .filter_map(|r| r.share)
        .collect();
    let catch_all: f64 = catch_all_rows.iter().map(|s| s / 100.0).sum();
    let book_catch_all = |lines: &mut Vec<(Holder, f64)>, report: &mut ImportReport| {
        report.catch_all_rows += catch_all_rows.len();
        if catch_all > 0.0 {
            add(lines, Holder::Unattributed, catch_all);
        }
    };
    let org_shares = named.iter().any(|r| r.share.is_some());
    let country_shares = countries.iter().any(|r| r.share.is_some());

    // A country share: spread over that country's named organisations, or a
    // country producer when none is named; "Various countries" is unattributed.
    let spread_country =
        |lines: &mut Vec<(Holder, f64)>, report: &mut ImportReport, r: &Provision, share: f64| {
            let p = &providers[r.provider];
            let cc = p.alpha2();
            report.country_rows_used += 1;
            if cc == UNATTRIBUTED {
                add(lines, Holder::Unattributed, share);
                return;
            }
            let of_country: Vec<usize> = named
                .iter()
                .map(|o| o.provider)
                .filter(|&o| providers[o].alpha2() == cc)
                .collect();
            if of_country.is_empty() {
                add(lines, Holder::Country(cc, p.name.clone()), share);
                report.country_producers += 1;
            } else {
                for o in &of_country {
                    add(lines, Holder::Org(*o), share / of_country.len() as f64);
                    report.org_lines_from_country_share += 1;
                }
            }
        };

    if org_shares || (named.is_empty() && !catch_all_rows.is_empty()) {
        book_catch_all(&mut lines, report);
        for r in &named {
            match r.share {
                Some(s) => {
                    add(&mut lines, Holder::Org(r.provider), s / 100.0);
                    report.org_rows_with_share += 1;
                }
                None => report.org_rows_without_share_ignored += 1,
            }
        }
        report.country_rows_not_needed += countries.len();
    } else if !named.is_empty() && country_shares {
        report.country_fallback_items.push(id.clone());
        for r in &countries {
            if let Some(s) = r.share {
                spread_country(&mut lines, report, r, s / 100.0);
            }
        }
        report.orgs_left_without_share += named
            .iter()
            .filter(|o| !lines.iter().any(|(h, _)| *h == Holder::Org(o.provider)))
            .count();
    } else if !named.is_empty() {
        report.equal_spread_items.push(id.clone());
        book_catch_all(&mut lines, report);
        let each = (1.0 - catch_all).max(0.0) / named.len() as f64;
        for r in &named {
            add(&mut lines, Holder::Org(r.provider), each);
        }
    } else if country_shares {
        report.country_only_items.push(id.clone());
        for r in &countries {
            if let Some(s) = r.share {
                spread_country(&mut lines, report, r, s / 100.0);
            }
        }
    } else if !rows.is_empty() {
        report.items_without_usable_rows.push(id.clone());
    }

    if lines.is_empty() {
        return lines;
    }
    let sum: f64 = lines.iter().map(|(_, s)| s).sum();
    if sum > 1.0 + EPS {
        // CSET rounds shares between 0 and 1% up to 1%, so sums run over.
        for (_, s) in lines.iter_mut() {
            *s /= sum;
        }
        report.renormalised_items.push(id.clone());
    } else if sum < 1.0 - EPS {
        add(&mut lines, Holder::Unattributed, 1.0 - sum);
    }
    if lines
        .iter()
        .any(|(h, s)| *h == Holder::Unattributed && *s > EPS)
    {
        report.unattributed_remainders += 1;
    }
    lines.retain(|(h, s)| !(*h == Holder::Unattributed && *s <= EPS));
    lines
}

/// Shares and weights are written to nine decimals: exact enough for any
/// sum check, and 0.993 reads as 0.993 rather than 0.9929999999999999.
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

// ---------------------------------------------------------------------------
// The conversion.

/// Converts the CSET CSVs in `dir` into a validated chain map.
pub fn import_cset(dir: &Path, overlay: &Overlay) -> Result<Imported, ImportError> {
    overlay.check("(given)")?;
    let data = read_data(dir, overlay)?;
    let (source, source_file_found) = source_of(dir);
    let mut report = ImportReport {
        source: source.clone(),
        source_file_found,
        rows: data.rows.clone(),
        stage_rows_skipped: data.stage_rows_skipped,
        rows_without_share: data.rows_without_share,
        provider_rows_merged: data.provider_rows_merged,
        provision_names_as_aliases: data.provision_names_as_aliases,
        ..ImportReport::default()
    };
    let n = data.inputs.len();
    let ids: Vec<&str> = data.inputs.iter().map(|i| i.id.as_str()).collect();

    // Families.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut family_of: Vec<Option<usize>> = vec![None; n];
    for &(m, p) in &data.is_type_of {
        if members[p].contains(&m) {
            report.duplicate_edges += 1;
            continue;
        }
        members[p].push(m);
        match family_of[m] {
            None => family_of[m] = Some(p),
            Some(_) => {
                if !report
                    .items_in_several_families
                    .contains(&data.inputs[m].id)
                {
                    report
                        .items_in_several_families
                        .push(data.inputs[m].id.clone());
                }
            }
        }
    }
    let is_parent = |i: usize| !members[i].is_empty();
    report.family_parents = (0..n).filter(|&i| is_parent(i)).count();
    // CSET files some kinds of a tool as going into it ("Dry etching and
    // cleaning tools" and "Wet ..." into "Etch and clean tools", whose market
    // they add up to) and gives the whole its own makers too. Kept both ways,
    // a Lam fire cut the whole once through its dry etch tools and again
    // through its own line, and a control on etch tools never reached buyers
    // of the whole. So a resource with makers made of resources of its own
    // kind is an aggregate, as a family is: no makers and no stock of its
    // own. (One without makers, such as "ATP materials", counts nothing
    // twice and keeps its stock: QA17 found a price naming it spread to
    // every reader of its gases once it had none.)
    let mut has_makers = vec![false; n];
    for r in &data.provision {
        has_makers[r.item] = true;
    }
    let mut made_of_own_kind = vec![false; n];
    for &(input, into) in &data.goes_into {
        let kind = &data.inputs[into].kind;
        if has_makers[into] && kind.ends_with("_resource") && data.inputs[input].kind == *kind {
            made_of_own_kind[into] = true;
        }
    }
    report.made_of_own_kind = (0..n)
        .filter(|&i| made_of_own_kind[i])
        .map(|i| data.inputs[i].id.clone())
        .collect();
    let is_aggregate = |i: usize| is_parent(i) || made_of_own_kind[i];

    let own_size: Vec<Option<f64>> = data
        .inputs
        .iter()
        .map(|i| parse_market_size(&i.size_text))
        .collect();
    for (i, input) in data.inputs.iter().enumerate() {
        if own_size[i].is_none() && !input.size_text.is_empty() {
            report.unreadable_market_sizes.push(input.id.clone());
        }
    }

    // Recipes: goes_into edges first (critical unless the overlay says not),
    // then a family's members, weighted by market size.
    let mut recipes: Vec<Vec<InputDoc>> = vec![Vec::new(); n];
    let mut used_edges: HashSet<usize> = HashSet::new();
    for &(input, into) in &data.goes_into {
        if recipes[into].iter().any(|x| x.item == ids[input]) {
            report.duplicate_edges += 1;
            continue;
        }
        let soft = overlay
            .edges
            .iter()
            .position(|e| e.input == ids[input] && e.into == ids[into]);
        let doc = match soft {
            Some(k) => {
                used_edges.insert(k);
                report.edges_softened += 1;
                let e = &overlay.edges[k];
                InputDoc {
                    item: ids[input].to_string(),
                    critical: e.critical,
                    weight: e.weight,
                }
            }
            None => InputDoc {
                item: ids[input].to_string(),
                critical: true,
                weight: 1.0,
            },
        };
        recipes[into].push(doc);
        report.recipe_inputs += 1;
    }
    let mut visiting = vec![false; n];
    for p in 0..n {
        if !is_parent(p) {
            continue;
        }
        let sizes: Vec<Option<f64>> = members[p]
            .iter()
            .map(|&m| effective_size(m, &own_size, &members, &mut visiting))
            .collect();
        let (weights, how) = member_weights(&sizes, own_size[p]);
        report.weighting.insert(ids[p].to_string(), how);
        for (&m, w) in members[p].iter().zip(weights) {
            if recipes[p].iter().any(|x| x.item == ids[m]) {
                // Already a goes_into input of its own family: that edge wins.
                report.duplicate_edges += 1;
                continue;
            }
            recipes[p].push(InputDoc {
                item: ids[m].to_string(),
                critical: false,
                weight: round9(w),
            });
            report.member_inputs += 1;
        }
    }
    for (k, e) in overlay.edges.iter().enumerate() {
        if !used_edges.contains(&k) {
            report
                .overlay_unused
                .push(format!("edges[{k}] {} → {}", e.input, e.into));
        }
    }

    // Items.
    let mut items = Vec::with_capacity(n);
    for (i, input) in data.inputs.iter().enumerate() {
        let family = family_of[i].map(|p| ids[p].to_string());
        let grade = family_of[i].and_then(|p| overlay.grade(ids[p], &input.id));
        if grade.is_some() {
            report.graded_items += 1;
        }
        // An aggregate's stock is its parts' stock, so it adds no buffer of
        // its own on the way downstream.
        let inventory_days = match overlay.inventory_days.by_item.get(&input.id) {
            Some(d) => *d,
            None if is_aggregate(i) => 0.0,
            None => overlay
                .inventory_days
                .by_type
                .get(&input.kind)
                .copied()
                .unwrap_or(0.0),
        };
        items.push(ItemDoc {
            id: input.id.clone(),
            name: input.name.clone(),
            family,
            grade,
            inventory_days,
            inputs: std::mem::take(&mut recipes[i]),
            chains: vec![CHAIN_ID.to_string()],
        });
    }
    report.items = items.len();

    // Firms: every named organisation, in providers.csv order.
    let mut firms: Vec<FirmDoc> = Vec::new();
    let mut firm_of_provider: HashMap<usize, usize> = HashMap::new();
    for (ix, p) in data.providers.iter().enumerate() {
        if p.kind != ProviderKind::Organisation {
            continue;
        }
        if p.is_catch_all() {
            report.catch_all_providers.push(p.id.clone());
            continue;
        }
        firm_of_provider.insert(ix, firms.len());
        let mut aliases = p.aliases.clone();
        for extra in overlay.aliases_by_firm.get(&p.id).into_iter().flatten() {
            if *extra != p.name && !aliases.contains(extra) {
                aliases.push(extra.clone());
            }
        }
        firms.push(new_firm(p.id.clone(), p.name.clone(), p.alpha2(), aliases));
    }
    report.firms = firms.len();

    // Producers, item by item.
    let mut rows_of: Vec<Vec<&Provision>> = vec![Vec::new(); n];
    for r in &data.provision {
        rows_of[r.item].push(r);
    }
    let mut synthetic: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..n {
        if is_parent(i) {
            // Its availability is its members' market-weighted mix; its own
            // provision rows are aggregate shares of those members' markets.
            report.family_rows_not_used += rows_of[i].len();
            report.items_made_in_place += 1;
            continue;
        }
        if made_of_own_kind[i] {
            report.made_of_own_kind_rows_not_used += rows_of[i].len();
            report.items_made_in_place += 1;
            continue;
        }
        let lines = producers_of(i, &rows_of[i], &data, &mut report);
        if lines.is_empty() {
            report.items_made_in_place += 1;
            continue;
        }
        for (holder, share) in lines {
            let firm = match holder {
                Holder::Org(p) => match firm_of_provider.get(&p) {
                    Some(f) => *f,
                    None => continue, // catch-alls never reach here as Org
                },
                Holder::Country(cc, code) => {
                    let id = unattributed_id(cc, ids[i]);
                    let name = format!("Unattributed {code} producers of {}", data.inputs[i].name);
                    synthetic_firm(&mut firms, &mut synthetic, id, name, cc)
                }
                Holder::Unattributed => {
                    let id = unattributed_id(UNATTRIBUTED, ids[i]);
                    let name = format!("Unattributed producers of {}", data.inputs[i].name);
                    synthetic_firm(&mut firms, &mut synthetic, id, name, UNATTRIBUTED)
                }
            };
            let spare = overlay
                .spare_by_firm
                .get(&firms[firm].id)
                .copied()
                .unwrap_or(overlay.default_spare);
            firms[firm].produces.push(ProducesDoc {
                item: ids[i].to_string(),
                share: round9(share),
                spare,
            });
            report.producer_lines += 1;
        }
    }
    report.synthetic_firms = synthetic.len();

    let substitutes = substitutes(&ids, &members, &family_of, overlay, &mut report);

    // Overlay entries this data does not use, so a typo does not pass unseen.
    let known_node = |id: &str| ids.contains(&id) || firms.iter().any(|f| f.id == id);
    let key_nodes: Vec<String> = overlay
        .key_nodes
        .iter()
        .filter(|k| {
            let ok = known_node(k);
            if !ok {
                report.overlay_unused.push(format!("key_nodes {k}"));
            }
            ok
        })
        .cloned()
        .collect();
    for f in overlay.spare_by_firm.keys() {
        if !firms.iter().any(|x| &x.id == f) {
            report.overlay_unused.push(format!("spare_by_firm {f}"));
        }
    }
    for f in overlay.aliases_by_firm.keys() {
        if !firms.iter().any(|x| &x.id == f) {
            report.overlay_unused.push(format!("aliases_by_firm {f}"));
        }
    }
    for i in overlay.inventory_days.by_item.keys() {
        if !ids.contains(&i.as_str()) {
            report
                .overlay_unused
                .push(format!("inventory_days.by_item {i}"));
        }
    }
    for g in &overlay.grades {
        for m in g.grades.keys() {
            let member_of = ids
                .iter()
                .position(|x| *x == m.as_str())
                .and_then(|mi| family_of[mi])
                .map(|p| ids[p]);
            if member_of != Some(g.family.as_str()) {
                report
                    .overlay_unused
                    .push(format!("grades {} member {m}", g.family));
            }
        }
    }
    for f in &overlay.substitutes.not_substitutes {
        let parent = ids
            .iter()
            .position(|x| *x == f.as_str())
            .is_some_and(is_parent);
        if !parent {
            report
                .overlay_unused
                .push(format!("substitutes.not_substitutes {f}"));
        }
    }
    for o in &overlay.substitutes.overrides {
        if !substitutes.iter().any(|s| s.from == o.from && s.to == o.to) {
            report
                .overlay_unused
                .push(format!("substitutes.overrides {} → {}", o.from, o.to));
        }
    }

    let doc = ChainMapDoc {
        version: SCHEMA_VERSION,
        home: overlay.home.clone(),
        source: Some(source),
        chains: vec![ChainDoc {
            id: CHAIN_ID.to_string(),
            name: CHAIN_NAME.to_string(),
            key_nodes,
            roster: serde_json::Value::Null,
        }],
        items,
        firms,
        substitutes,
    };
    let problems = validate(&doc);
    if !problems.is_empty() {
        return Err(ImportError::Invalid { problems });
    }
    Ok(Imported { doc, report })
}

fn new_firm(id: String, name: String, country: &str, aliases: Vec<String>) -> FirmDoc {
    FirmDoc {
        id,
        name,
        aliases,
        external_ids: BTreeMap::new(),
        country: country.to_string(),
        jurisdictions: Vec::new(),
        owners: Vec::new(),
        produces: Vec::new(),
        consumes: Vec::new(),
    }
}

fn synthetic_firm(
    firms: &mut Vec<FirmDoc>,
    synthetic: &mut BTreeMap<String, usize>,
    id: String,
    name: String,
    country: &str,
) -> usize {
    if let Some(&f) = synthetic.get(&id) {
        return f;
    }
    firms.push(new_firm(id.clone(), name, country, Vec::new()));
    synthetic.insert(id, firms.len() - 1);
    firms.len() - 1
}

/// Substitutes among the members of each family (see the docs for the rules).
fn substitutes(
    ids: &[&str],
    members: &[Vec<usize>],
    family_of: &[Option<usize>],
    overlay: &Overlay,
    report: &mut ImportReport,
) -> Vec<SubstituteDoc> {
    let rules = &overlay.substitutes;
    let mut out: Vec<SubstituteDoc> = Vec::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for (p, list) in members.iter().enumerate() {
        if list.len() < 2 {
            continue;
        }
        let pairs = list.len() * (list.len() - 1);
        if rules.not_substitutes.iter().any(|f| f == ids[p]) {
            report.pairs_not_substitutes += pairs;
            continue;
        }
        let order = overlay.grade_order(ids[p]);
        // A grade counts only for members whose family is this one.
        let grade = |m: usize| {
            order
                .filter(|_| family_of[m] == Some(p))
                .and_then(|g| g.grades.get(ids[m]).copied())
        };
        for &a in list {
            for &b in list {
                if a == b {
                    continue;
                }
                if members[a].contains(&b) || members[b].contains(&a) {
                    report.pairs_parent_and_member += 1;
                    continue;
                }
                let (kind, terms) = match (order.is_some(), grade(a), grade(b)) {
                    (true, Some(ga), Some(gb)) if ga < gb => {
                        let d = &rules.downgraded;
                        let steps = (gb - ga - 1) as i32;
                        let coverage = d.coverage * d.step_factor.powi(steps);
                        (SubstituteGrade::Downgraded, (d.switch_days, coverage))
                    }
                    (true, Some(ga), Some(gb)) if ga == gb => (
                        SubstituteGrade::SameGrade,
                        (rules.same_grade.switch_days, rules.same_grade.coverage),
                    ),
                    (true, Some(_), Some(_)) => (
                        SubstituteGrade::SameGrade,
                        (rules.upgrade.switch_days, rules.upgrade.coverage),
                    ),
                    (true, _, _) => {
                        report.pairs_ungraded_in_graded_family += 1;
                        continue;
                    }
                    (false, _, _) => (
                        SubstituteGrade::SameGrade,
                        (rules.ungraded.switch_days, rules.ungraded.coverage),
                    ),
                };
                if !seen.insert((a, b)) {
                    continue; // the same pair met again in another family
                }
                let (mut switch_days, mut coverage) = terms;
                if let Some(o) = rules
                    .overrides
                    .iter()
                    .find(|o| o.from == ids[a] && o.to == ids[b])
                {
                    switch_days = o.switch_days.unwrap_or(switch_days);
                    coverage = o.coverage.unwrap_or(coverage);
                }
                match kind {
                    SubstituteGrade::SameGrade => report.substitutes_same_grade += 1,
                    SubstituteGrade::Downgraded => report.substitutes_downgraded += 1,
                }
                out.push(SubstituteDoc {
                    from: ids[a].to_string(),
                    to: ids[b].to_string(),
                    grade: kind,
                    switch_days,
                    coverage: round9(coverage),
                });
            }
        }
    }
    out
}

/// The attribution the licence asks for, from the SOURCE file CSET's data
/// folder is shipped with (`commit: …`, `repository: …`, optional `note: …`).
fn source_of(dir: &Path) -> (String, bool) {
    let text = std::fs::read_to_string(dir.join("SOURCE")).unwrap_or_default();
    let field = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let commit = field("commit");
    let repository = field("repository")
        .and_then(|r| r.split(',').next().map(|s| s.trim().to_string()))
        .unwrap_or_else(|| REPOSITORY.to_string());
    let found = commit.is_some();
    let mut source = format!(
        "CSET ETO Chip Explorer ({repository}, commit {}), {LICENCE}",
        commit.as_deref().unwrap_or("unknown")
    );
    if let Some(note) = field("note") {
        source.push_str(&format!("; {note}"));
    }
    (source, found)
}

// ---------------------------------------------------------------------------
// The report.

/// One report line: a label, a number and, when there are any, the ids.
fn line(f: &mut fmt::Formatter<'_>, label: &str, n: usize, ids: &[String]) -> fmt::Result {
    write!(f, "\n  {label:<54} {n}")?;
    if !ids.is_empty() {
        write!(f, " ({})", ids.join(", "))?;
    }
    Ok(())
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.rows;
        write!(f, "imported {}", self.source)?;
        if !self.source_file_found {
            write!(
                f,
                "\n  (no SOURCE file naming a commit: attribution is incomplete)"
            )?;
        }
        write!(
            f,
            "\nrows read: inputs {}, providers {}, provision {}, sequence {}, stages {}",
            r.inputs, r.providers, r.provision, r.sequence, r.stages
        )?;
        let weighted = |w: FamilyWeighting| -> Vec<String> {
            self.weighting
                .iter()
                .filter(|(_, v)| **v == w)
                .map(|(k, _)| k.clone())
                .collect()
        };
        let none: &[String] = &[];
        write!(f, "\nitems")?;
        line(f, "items", self.items, none)?;
        line(
            f,
            "families (aggregates, no producers)",
            self.family_parents,
            none,
        )?;
        let sized = weighted(FamilyWeighting::MarketSizes);
        line(f, "  member weights from market sizes", sized.len(), none)?;
        let filled = weighted(FamilyWeighting::FilledSizes);
        line(
            f,
            "  member weights with filled-in sizes",
            filled.len(),
            &filled,
        )?;
        let equal = weighted(FamilyWeighting::Equal);
        line(f, "  equal member weights", equal.len(), &equal)?;
        line(
            f,
            "unreadable market sizes",
            self.unreadable_market_sizes.len(),
            &self.unreadable_market_sizes,
        )?;
        line(
            f,
            "items in several families (first kept)",
            self.items_in_several_families.len(),
            &self.items_in_several_families,
        )?;
        line(f, "graded items", self.graded_items, none)?;
        line(
            f,
            "made in place (nobody produces them)",
            self.items_made_in_place,
            none,
        )?;
        line(f, "recipe inputs from goes_into", self.recipe_inputs, none)?;
        line(f, "  softened by the overlay", self.edges_softened, none)?;
        line(
            f,
            "recipe inputs from family members",
            self.member_inputs,
            none,
        )?;
        line(f, "repeated edges kept once", self.duplicate_edges, none)?;
        write!(f, "\nfirms and producers")?;
        line(f, "organisations (firms)", self.firms, none)?;
        line(
            f,
            "  provider rows merged (repeated ids)",
            self.provider_rows_merged,
            none,
        )?;
        line(
            f,
            "  provision.csv names kept as aliases",
            self.provision_names_as_aliases,
            none,
        )?;
        line(
            f,
            "  catch-all providers (not firms)",
            self.catch_all_providers.len(),
            &self.catch_all_providers,
        )?;
        line(
            f,
            "unattributed producers (CSET-<cc>-<item>)",
            self.synthetic_firms,
            none,
        )?;
        line(f, "producer lines", self.producer_lines, none)?;
        line(
            f,
            "stage rows skipped (S1..S3)",
            self.stage_rows_skipped,
            none,
        )?;
        line(
            f,
            "rows without a share (handled as counted below)",
            self.rows_without_share,
            none,
        )?;
        line(
            f,
            "family rows not used (aggregate shares)",
            self.family_rows_not_used,
            none,
        )?;
        line(
            f,
            "rows of items made of their own kind, not used",
            self.made_of_own_kind_rows_not_used,
            &self.made_of_own_kind,
        )?;
        line(
            f,
            "organisation rows with a share",
            self.org_rows_with_share,
            none,
        )?;
        line(
            f,
            "catch-all rows folded into unattributed",
            self.catch_all_rows,
            none,
        )?;
        line(
            f,
            "org rows without share beside shares (ignored)",
            self.org_rows_without_share_ignored,
            none,
        )?;
        line(
            f,
            "country rows not needed (organisations had shares)",
            self.country_rows_not_needed,
            none,
        )?;
        line(
            f,
            "items using country shares (no organisation share)",
            self.country_fallback_items.len(),
            &self.country_fallback_items,
        )?;
        line(f, "  country rows used", self.country_rows_used, none)?;
        line(
            f,
            "  organisation lines from country shares",
            self.org_lines_from_country_share,
            none,
        )?;
        line(
            f,
            "  country producers (no organisation named)",
            self.country_producers,
            none,
        )?;
        line(
            f,
            "  organisations left without share",
            self.orgs_left_without_share,
            none,
        )?;
        line(
            f,
            "items with country rows only",
            self.country_only_items.len(),
            &self.country_only_items,
        )?;
        line(
            f,
            "items without any share: 100% spread equally",
            self.equal_spread_items.len(),
            &self.equal_spread_items,
        )?;
        line(
            f,
            "items whose rows hold nothing usable",
            self.items_without_usable_rows.len(),
            &self.items_without_usable_rows,
        )?;
        line(
            f,
            "items given an unattributed remainder",
            self.unattributed_remainders,
            none,
        )?;
        line(
            f,
            "items over 100%, scaled down to 100%",
            self.renormalised_items.len(),
            &self.renormalised_items,
        )?;
        write!(f, "\nsubstitutes")?;
        line(f, "same_grade", self.substitutes_same_grade, none)?;
        line(f, "downgraded", self.substitutes_downgraded, none)?;
        line(
            f,
            "pairs skipped: complement families",
            self.pairs_not_substitutes,
            none,
        )?;
        line(
            f,
            "pairs skipped: ungraded member of a graded family",
            self.pairs_ungraded_in_graded_family,
            none,
        )?;
        line(
            f,
            "pairs skipped: parent and member",
            self.pairs_parent_and_member,
            none,
        )?;
        write!(f, "\noverlay")?;
        line(
            f,
            "entries naming ids absent from the data",
            self.overlay_unused.len(),
            &self.overlay_unused,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn excerpt() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cset-excerpt")
    }

    fn import_excerpt() -> Imported {
        match import_cset(&excerpt(), &Overlay::default()) {
            Ok(i) => i,
            Err(e) => panic!("excerpt import failed: {e}"),
        }
    }

    fn share(doc: &ChainMapDoc, firm: &str, item: &str) -> Option<f64> {
        doc.firms
            .iter()
            .find(|f| f.id == firm)?
            .produces
            .iter()
            .find(|p| p.item == item)
            .map(|p| p.share)
    }

    fn producers(doc: &ChainMapDoc, item: &str) -> Vec<(String, f64)> {
        doc.firms
            .iter()
            .flat_map(|f| {
                f.produces
                    .iter()
                    .filter(|p| p.item == item)
                    .map(|p| (f.id.clone(), p.share))
            })
            .collect()
    }

    fn item<'a>(doc: &'a ChainMapDoc, id: &str) -> &'a ItemDoc {
        match doc.items.iter().find(|i| i.id == id) {
            Some(i) => i,
            None => panic!("no item {id}"),
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn excerpt_imports_and_validates() {
        let Imported { doc, report } = import_excerpt();
        assert!(validate(&doc).is_empty());
        assert_eq!(doc.version, SCHEMA_VERSION);
        assert_eq!(doc.home, "CN");
        assert_eq!(doc.chains.len(), 1);
        assert_eq!(doc.chains[0].id, "ic");
        assert_eq!(doc.chains[0].name, "Integrated circuits (advanced logic)");
        let source = doc.source.as_deref().unwrap_or("");
        assert!(source.starts_with(
            "CSET ETO Chip Explorer (georgetown-cset/eto-chip-explorer, commit \
             46e010644c2399c812fd89c62cd6297e9cf58525), CC BY-NC 4.0"
        ));
        assert!(source.contains("excerpt"), "{source}");
        assert_eq!(report.rows.inputs, 21);
        assert_eq!(report.items, 21);
        assert!(doc.items.iter().all(|i| i.chains == ["ic"]));
        // Key nodes of the built-in overlay that the excerpt lacks are
        // dropped and reported, not failed on.
        assert_eq!(
            doc.chains[0].key_nodes,
            ["N99", "N19", "N20", "N22", "N26", "N31", "N84", "P88"]
        );
        assert!(report.overlay_unused.contains(&"key_nodes N91".to_string()));
        assert_eq!(report.stage_rows_skipped, 4); // S1 and S2 of CHN and USA
        assert_eq!(report.family_parents, 2); // N19, N126
        assert_eq!(report.family_rows_not_used, 15); // N19's rows
                                                     // Blank shares: N26 13 organisations, N31 13 + 4 countries, N84 13.
        assert_eq!(report.rows_without_share, 43);
        // Canon P159 has three rows, Onto Innovation P139 three: four merged.
        assert_eq!(report.provider_rows_merged, 4);
        let canon = doc.firms.iter().find(|f| f.id == "P159");
        assert_eq!(
            canon.map(|f| f.aliases.clone()),
            Some(vec![
                "Canon ANELVA".to_string(),
                "Canon Machinery".to_string()
            ])
        );
        // Deterministic: the same input gives the same map.
        assert_eq!(import_excerpt().doc, doc);
    }

    #[test]
    fn n22_asml_and_the_catch_all_remainder() {
        // provision.csv: ASML 99.3, "Various companies" (P370, country
        // "Various countries") 0.7. The catch-all is no firm; its 0.7% is
        // the share nobody is named for: CSET-XX-N22.
        let Imported { doc, report } = import_excerpt();
        assert_eq!(share(&doc, "P88", "N22"), Some(0.993));
        assert_eq!(share(&doc, "CSET-XX-N22", "N22"), Some(0.007));
        assert_eq!(producers(&doc, "N22").len(), 2);
        assert!(doc.firms.iter().all(|f| f.id != "P370"));
        assert_eq!(report.catch_all_providers, ["P370"]);
        let xx = doc.firms.iter().find(|f| f.id == "CSET-XX-N22");
        assert_eq!(xx.map(|f| f.country.as_str()), Some("XX"));
        assert_eq!(
            xx.map(|f| f.name.as_str()),
            Some("Unattributed producers of ArF immersion (DUV) lithography tools")
        );
        // ASML's spare capacity comes from the overlay's per-firm override.
        let asml = doc.firms.iter().find(|f| f.id == "P88");
        assert!(asml.is_some_and(|f| f.produces.iter().all(|p| p.spare == 0.0)));
        assert!(xx.is_some_and(|f| f.produces[0].spare == 0.1));
    }

    #[test]
    fn lithography_family_weights_follow_market_sizes() {
        // inputs.csv market sizes in $ million: EUV N20 13000, ArF dry N21
        // 508, ArF immersion N22 11700, KrF N105 1700, i-line N106 1100.
        // Sum 13000 + 508 + 11700 + 1700 + 1100 = 28008.
        let Imported { doc, report } = import_excerpt();
        let n19 = item(&doc, "N19");
        let expected = [
            ("N20", 13000.0 / 28008.0), // 0.464153...
            ("N21", 508.0 / 28008.0),   // 0.018138...
            ("N22", 11700.0 / 28008.0), // 0.417738...
            ("N105", 1700.0 / 28008.0), // 0.060697...
            ("N106", 1100.0 / 28008.0), // 0.039274...
        ];
        assert_eq!(n19.inputs.len(), 5);
        for (input, (id, w)) in n19.inputs.iter().zip(expected) {
            assert_eq!(input.item, id);
            assert!(!input.critical);
            assert!(close(input.weight, w), "{id}: {} vs {w}", input.weight);
        }
        assert!(close(n19.inputs[0].weight, 0.464153099));
        assert_eq!(
            report.weighting.get("N19"),
            Some(&FamilyWeighting::MarketSizes)
        );
        // A family is an aggregate: no producers, no stock of its own.
        assert!(producers(&doc, "N19").is_empty());
        assert_eq!(n19.inventory_days, 0.0);
        // It still goes into photolithography, critically.
        let n25 = item(&doc, "N25");
        assert!(n25.inputs.iter().any(|i| i.item == "N19" && i.critical));
        // Members carry their family and the overlay's grades.
        let grades: Vec<(Option<&str>, Option<u32>)> = ["N20", "N22", "N21", "N105", "N106"]
            .iter()
            .map(|id| {
                let i = item(&doc, id);
                (i.family.as_deref(), i.grade)
            })
            .collect();
        assert_eq!(
            grades,
            [
                (Some("N19"), Some(1)),
                (Some("N19"), Some(2)),
                (Some("N19"), Some(3)),
                (Some("N19"), Some(4)),
                (Some("N19"), Some(5))
            ]
        );
        // N126 "process-specific fabrication materials" has one member in the
        // excerpt (N31, $3.3 billion): weight 1, and N126 keeps its own
        // goes_into edge into N117.
        let n126 = item(&doc, "N126");
        assert_eq!(n126.inputs.len(), 1);
        assert_eq!(n126.inputs[0].item, "N31");
        assert_eq!(n126.inputs[0].weight, 1.0);
        let n31 = item(&doc, "N31");
        assert_eq!(n31.family.as_deref(), Some("N126"));
        assert!(item(&doc, "N117")
            .inputs
            .iter()
            .any(|i| i.item == "N126" && i.critical));
    }

    #[test]
    fn lithography_substitutes_follow_grades() {
        let Imported { doc, report } = import_excerpt();
        let sub = |from: &str, to: &str| {
            doc.substitutes
                .iter()
                .find(|s| s.from == from && s.to == to)
                .map(|s| (s.grade, s.switch_days, s.coverage))
        };
        // One grade down: the overlay's downgraded terms (180 days, 30%).
        assert_eq!(
            sub("N20", "N22"),
            Some((SubstituteGrade::Downgraded, 180.0, 0.3))
        );
        // Three grades down (EUV 1 → i-line 5 is four; ArF immersion 2 →
        // i-line 5 is three): 0.3 × 0.5² = 0.075 and 0.3 × 0.5³ = 0.0375.
        assert_eq!(
            sub("N22", "N106"),
            Some((SubstituteGrade::Downgraded, 180.0, 0.075))
        );
        assert_eq!(
            sub("N20", "N106"),
            Some((SubstituteGrade::Downgraded, 180.0, 0.0375))
        );
        // Upwards: a more capable tool meets the spec (same_grade, upgrade terms).
        assert_eq!(
            sub("N22", "N20"),
            Some((SubstituteGrade::SameGrade, 90.0, 0.2))
        );
        // Five graded members: 20 ordered pairs, 10 each way.
        assert_eq!(report.substitutes_downgraded, 10);
        assert_eq!(report.substitutes_same_grade, 10);
        assert_eq!(doc.substitutes.len(), 20);
    }

    #[test]
    fn photoresists_without_any_share_are_spread_equally() {
        // N31: 13 organisation rows and 4 country rows, none with a share.
        let Imported { doc, report } = import_excerpt();
        let lines = producers(&doc, "N31");
        assert_eq!(lines.len(), 13);
        for (firm, s) in &lines {
            assert!(close(*s, 1.0 / 13.0), "{firm}: {s}");
        }
        assert!(lines.iter().any(|(f, _)| f == "P206")); // JSR
        assert_eq!(report.equal_spread_items, ["N31"]);
    }

    #[test]
    fn wafers_use_country_shares_spread_over_named_organisations() {
        // N26: no organisation share; JPN 56, TWN 16, DEU 14, KOR 10, CHN 4.
        // JPN: SUMCO, Shin-Etsu → 28% each; CHN: 8 firms → 0.5% each.
        let Imported { doc, report } = import_excerpt();
        assert!(close(share(&doc, "P225", "N26").unwrap_or(0.0), 0.28)); // SUMCO
        assert!(close(share(&doc, "P208", "N26").unwrap_or(0.0), 0.28)); // Shin-Etsu
        assert!(close(share(&doc, "P226", "N26").unwrap_or(0.0), 0.16)); // GlobalWafers
        assert!(close(share(&doc, "P227", "N26").unwrap_or(0.0), 0.14)); // Siltronic
        assert!(close(share(&doc, "P228", "N26").unwrap_or(0.0), 0.10)); // SK Siltron
        assert!(close(share(&doc, "P232", "N26").unwrap_or(0.0), 0.005)); // Gritek
        let total: f64 = producers(&doc, "N26").iter().map(|(_, s)| s).sum();
        assert!(close(total, 1.0));
        assert!(report.country_fallback_items.contains(&"N26".to_string()));
    }

    #[test]
    fn eda_country_producers_and_renormalisation() {
        // N84: no organisation share; USA 96 over 6 US firms, CHN 1 over 7
        // Chinese firms, GBR 1, ISR 1 and JPN 3 with no firm named → country
        // producers. The sum is 102%, scaled down to 100%.
        let Imported { doc, report } = import_excerpt();
        assert!(close(
            share(&doc, "P185", "N84").unwrap_or(0.0),
            0.16 / 1.02
        )); // Synopsys
        assert!(close(
            share(&doc, "P191", "N84").unwrap_or(0.0),
            0.01 / 7.0 / 1.02
        )); // Huada Empyrean
        assert!(close(
            share(&doc, "CSET-JP-N84", "N84").unwrap_or(0.0),
            0.03 / 1.02
        ));
        let jp = doc.firms.iter().find(|f| f.id == "CSET-JP-N84");
        assert_eq!(jp.map(|f| f.country.as_str()), Some("JP"));
        assert_eq!(
            jp.map(|f| f.name.as_str()),
            Some("Unattributed JPN producers of Electronic design automation software")
        );
        assert!(share(&doc, "CSET-GB-N84", "N84").is_some());
        assert!(share(&doc, "CSET-IL-N84", "N84").is_some());
        assert!(share(&doc, "CSET-XX-N84", "N84").is_none());
        // Each share is written to nine decimals: the sum is 1 to within 1e-7.
        let total: f64 = producers(&doc, "N84").iter().map(|(_, s)| s).sum();
        assert!((total - 1.0).abs() < 1e-7, "{total}");
        assert!(report.renormalised_items.contains(&"N84".to_string()));
        assert_eq!(report.country_producers, 3);
    }

    #[test]
    fn over_100_percent_is_scaled_down() {
        // N106 i-line: ASML 31.2 + Canon 53.7 + Nikon 3.3 + Onto 2.5 +
        // SMEE 4.2 + Veeco 5.2 = 100.1 → each divided by 1.001.
        let Imported { doc, report } = import_excerpt();
        assert!(close(
            share(&doc, "P88", "N106").unwrap_or(0.0),
            0.311688312
        ));
        assert!(close(
            share(&doc, "P159", "N106").unwrap_or(0.0),
            0.537 / 1.001
        ));
        assert!(share(&doc, "CSET-XX-N106", "N106").is_none());
        assert!(report.renormalised_items.contains(&"N106".to_string()));
        // N105 sums to exactly 100: untouched, no remainder.
        assert_eq!(share(&doc, "P88", "N105"), Some(0.66));
        assert!(!report.renormalised_items.contains(&"N105".to_string()));
        assert!(share(&doc, "CSET-XX-N105", "N105").is_none());
    }

    #[test]
    fn items_nobody_provides_are_made_in_place_with_type_stock() {
        let Imported { doc, .. } = import_excerpt();
        for id in ["N25", "N99", "N0", "N117"] {
            assert!(producers(&doc, id).is_empty(), "{id}");
        }
        assert_eq!(item(&doc, "N25").inventory_days, 0.0); // process
        assert_eq!(item(&doc, "N99").inventory_days, 30.0); // ultimate_output
        assert_eq!(item(&doc, "N20").inventory_days, 180.0); // tool_resource
        assert_eq!(item(&doc, "N31").inventory_days, 45.0); // material_resource
        assert_eq!(item(&doc, "N26").inventory_days, 60.0); // per-item override
        let n99 = item(&doc, "N99");
        assert_eq!(n99.inputs.len(), 1);
        assert_eq!(n99.inputs[0].item, "N78");
        assert!(n99.inputs[0].critical);
    }

    // --- small hand-made data sets -----------------------------------------

    struct Files<'a> {
        inputs: &'a str,
        providers: &'a str,
        provision: &'a str,
        sequence: &'a str,
    }

    const STAGES_CSV: &str = "stage_id,stage_name,description,market_share_chart_global_market_size_info,market_share_chart_caption,market_share_chart_source\nS2,Fabrication,,,,\n";
    const INPUTS_HEAD: &str =
        "input_id,input_name,type,stage_id,market_share_chart_global_market_size_info\n";
    const PROVIDERS_HEAD: &str = "provider_name,alias,provider_id,provider_type,country\n";
    const PROVISION_HEAD: &str =
        "provider_name,provider_id,provided_name,provided_id,share_provided,year,source\n";
    const SEQUENCE_HEAD: &str =
        "input_name,input_id,goes_into_name,goes_into_id,is_type_of_name,is_type_of_id\n";

    fn write(files: &Files) -> tempfile::TempDir {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        for (name, head, body) in [
            ("inputs.csv", INPUTS_HEAD, files.inputs),
            ("providers.csv", PROVIDERS_HEAD, files.providers),
            ("provision.csv", PROVISION_HEAD, files.provision),
            ("sequence.csv", SEQUENCE_HEAD, files.sequence),
            ("stages.csv", STAGES_CSV, ""),
        ] {
            if let Err(e) = std::fs::write(dir.path().join(name), format!("{head}{body}")) {
                panic!("write {name}: {e}");
            }
        }
        dir
    }

    const BASE: Files = Files {
        inputs: "T1,Tool one,tool_resource,,$2 billion (2025)\nT2,Tool two,tool_resource,,$1 billion (2025)\nF,Tools,tool_resource,,$4 billion (2025)\nP,Process,process,S2,\n",
        providers: "USA,United States,P1,country,\nJPN,Japan,P7,country,\nAcme,Acme Corp,P10,organization,USA\nBeta,,P11,organization,JPN\nGamma,,P12,organization,\n",
        provision: "Acme,P10,Tool one,T1,60.0,2025,x\nBeta,P11,Tool one,T1,,2025,x\nGamma,P12,Tool one,T1,30.0,2025,x\nAcme,P10,Tool two,T2,70.0,2025,x\nBeta,P11,Tool two,T2,40.0,2025,x\n",
        sequence: "Tool one,T1,,,Tools,F\nTool two,T2,,,Tools,F\nTools,F,Process,P,,\n",
    };

    fn import(files: &Files) -> Result<Imported, ImportError> {
        let dir = write(files);
        import_cset(dir.path(), &Overlay::default())
    }

    /// QA16 F2: CSET files dry and wet etching tools as going into "Etch
    /// and clean tools" and gives the whole its own makers too. A tool made
    /// of tools is an aggregate: its rows are not used and it keeps no
    /// stock, while a material made with tools (a wafer) keeps both.
    #[test]
    fn a_resource_made_of_its_own_kind_is_an_aggregate() {
        let files = Files {
            inputs: "T1,Dry tools,tool_resource,,$2 billion (2025)\nT2,Wet tools,tool_resource,,$1 billion (2025)\nW,Whole,tool_resource,,$3 billion (2025)\nM,Wafer,material_resource,,\nK,Kit,material_resource,,\n",
            providers: "Acme,,P10,organization,USA\nBeta,,P11,organization,JPN\n",
            provision: "Acme,P10,Dry tools,T1,60.0,2025,x\nBeta,P11,Wet tools,T2,100.0,2025,x\nAcme,P10,Whole,W,40.0,2025,x\nBeta,P11,Whole,W,60.0,2025,x\nAcme,P10,Wafer,M,100.0,2025,x\n",
            sequence: "Dry tools,T1,Whole,W,,\nWet tools,T2,Whole,W,,\nDry tools,T1,Wafer,M,,\nWafer,M,Kit,K,,\n",
        };
        let Imported { doc, report } = import(&files).unwrap_or_else(|e| panic!("{e}"));
        assert!(producers(&doc, "W").is_empty());
        assert_eq!(item(&doc, "W").inventory_days, 0.0);
        assert_eq!(item(&doc, "W").inputs.len(), 2);
        assert!(item(&doc, "W").inputs.iter().all(|i| i.critical));
        assert_eq!(producers(&doc, "M"), vec![("P10".to_string(), 1.0)]);
        assert_eq!(item(&doc, "M").inventory_days, 45.0);
        // A kit of materials nobody makes counts no maker twice: it keeps
        // its stock (QA17).
        assert_eq!(item(&doc, "K").inventory_days, 45.0);
        assert_eq!(report.made_of_own_kind, ["W"]);
        assert_eq!(report.made_of_own_kind_rows_not_used, 2);
        let shown = report.to_string();
        let line = shown.lines().find(|l| l.contains("made of their own kind"));
        assert!(line.is_some_and(|l| l.ends_with(" 2 (W)")), "{shown}");
    }

    #[test]
    fn organisation_rows_without_share_beside_shares_get_nothing() {
        // T1: Acme 60, Gamma 30 (blank country → XX), Beta no share → Beta
        // gets nothing; the 10% left goes to CSET-XX-T1.
        let Imported { doc, report } = match import(&BASE) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(share(&doc, "P10", "T1"), Some(0.6));
        assert_eq!(share(&doc, "P12", "T1"), Some(0.3));
        assert_eq!(share(&doc, "P11", "T1"), None);
        assert_eq!(share(&doc, "CSET-XX-T1", "T1"), Some(0.1));
        assert_eq!(report.org_rows_without_share_ignored, 1);
        let gamma = doc.firms.iter().find(|f| f.id == "P12");
        assert_eq!(gamma.map(|f| f.country.as_str()), Some("XX"));
        // T2: 70 + 40 = 110 → 70/110 and 40/110.
        assert!(close(share(&doc, "P10", "T2").unwrap_or(0.0), 0.7 / 1.1));
        assert!(close(share(&doc, "P11", "T2").unwrap_or(0.0), 0.4 / 1.1));
        assert_eq!(report.renormalised_items, ["T2"]);
        // No SOURCE file: attribution says so.
        assert!(!report.source_file_found);
        assert!(doc
            .source
            .as_deref()
            .unwrap_or("")
            .contains("commit unknown"));
        // Ungraded family of two: same_grade both ways on the ungraded terms.
        assert_eq!(doc.substitutes.len(), 2);
        assert!(doc
            .substitutes
            .iter()
            .all(|s| s.grade == SubstituteGrade::SameGrade
                && s.switch_days == 180.0
                && s.coverage == 0.1));
        // F: T1 2000 / 3000, T2 1000 / 3000 (the parent's 4000 is not used
        // when every member is known).
        let f = item(&doc, "F");
        assert!(close(f.inputs[0].weight, 2.0 / 3.0));
        assert!(close(f.inputs[1].weight, 1.0 / 3.0));
        assert!(validate(&doc).is_empty());
    }

    #[test]
    fn catch_all_share_is_booked_before_an_equal_spread() {
        // T1: "Various companies" 10%, Acme and Beta without shares, no
        // country shares → XX 0.10, Acme and Beta (1 − 0.10) / 2 = 0.45 each.
        let files = Files {
            providers: "USA,United States,P1,country,\nAcme,,P10,organization,USA\nBeta,,P11,organization,JPN\nVarious companies,,P370,organization,Various countries\n",
            provision: "Acme,P10,Tool one,T1,,2025,x\nBeta,P11,Tool one,T1,,2025,x\nVarious companies,P370,Tool one,T1,10.0,2025,x\nUSA,P1,Tool one,T1,,2025,x\n",
            ..BASE
        };
        let Imported { doc, report } = match import(&files) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(share(&doc, "P10", "T1"), Some(0.45));
        assert_eq!(share(&doc, "P11", "T1"), Some(0.45));
        assert_eq!(share(&doc, "CSET-XX-T1", "T1"), Some(0.1));
        assert_eq!(report.catch_all_rows, 1);
        assert_eq!(report.equal_spread_items, ["T1"]);
        assert_eq!(report.rows_without_share, 3);
        assert!(doc.firms.iter().all(|f| f.id != "P370"));
    }

    #[test]
    fn a_catch_all_alone_is_not_counted_twice() {
        // Like N52 ion milling: "Various companies" 100% and the country row
        // "Various countries" 100% describe the same market once.
        let files = Files {
            providers: "Various countries,,P5,country,\nVarious companies,,P370,organization,Various countries\n",
            provision: "Various companies,P370,Tool one,T1,100.0,2025,x\nVarious countries,P5,Tool one,T1,100.0,2025,x\n",
            ..BASE
        };
        let Imported { doc, report } = match import(&files) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(producers(&doc, "T1"), [("CSET-XX-T1".to_string(), 1.0)]);
        assert!(report.renormalised_items.is_empty());
        assert_eq!(report.country_rows_not_needed, 1);
    }

    #[test]
    fn malformed_share_names_file_row_and_column() {
        let files = Files {
            provision: "Acme,P10,Tool one,T1,60.0,2025,x\nBeta,P11,Tool one,T1,abc,2025,x\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            err,
            "provision.csv row 3, column share_provided: \"abc\" is not a number"
        );
        let files = Files {
            provision: "Acme,P10,Tool one,T1,160,2025,x\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("row 2, column share_provided: \"160\" is not a percentage"));
    }

    #[test]
    fn unknown_ids_are_errors_naming_the_row() {
        let files = Files {
            sequence: "Tool one,T1,,,Tools,F\nGhost,N999,Process,P,,\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            err,
            "sequence.csv row 3, column input_id: unknown input \"N999\" (not in inputs.csv)"
        );
        let files = Files {
            provision: "Nobody,P99,Tool one,T1,60.0,2025,x\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("column provider_id: unknown provider \"P99\""),
            "{err}"
        );
        let files = Files {
            provision: "Acme,P10,Nothing,N5,60.0,2025,x\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.contains("column provided_id: unknown input \"N5\""),
            "{err}"
        );
    }

    #[test]
    fn structural_csv_errors_name_the_row() {
        let files = Files {
            inputs: "T1,Tool one,tool_resource,,$2 billion\nT2,Tool two\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert_eq!(err, "inputs.csv row 3: has 2 fields where the header has 5");
        let files = Files {
            inputs: "T1,Tool one,gizmo,,\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert!(
            err.starts_with("inputs.csv row 2, column type: \"gizmo\""),
            "{err}"
        );
        let files = Files {
            inputs: "T1,Tool one,tool_resource,,\nT1,Again,tool_resource,,\n",
            ..BASE
        };
        let err = import(&files).map(|_| ()).unwrap_err().to_string();
        assert_eq!(
            err,
            "inputs.csv row 3, column input_id: input id \"T1\" was already given at row 2"
        );
    }

    #[test]
    fn missing_file_and_column_are_named() {
        let dir = write(&BASE);
        let _ = std::fs::remove_file(dir.path().join("sequence.csv"));
        let err = import_cset(dir.path(), &Overlay::default())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sequence.csv"), "{err}");
        let dir = write(&BASE);
        let _ = std::fs::write(dir.path().join("stages.csv"), "id\nS2\n");
        let err = import_cset(dir.path(), &Overlay::default())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("stages.csv has no column \"stage_id\""),
            "{err}"
        );
    }

    #[test]
    fn overlay_edges_soften_goes_into_rows() {
        let overlay = Overlay {
            edges: vec![crate::import::EdgeOverride {
                input: "F".into(),
                into: "P".into(),
                critical: false,
                weight: 0.25,
                reason: "test".into(),
            }],
            ..Overlay::default()
        };
        let dir = write(&BASE);
        let doc = match import_cset(dir.path(), &overlay) {
            Ok(i) => i.doc,
            Err(e) => panic!("{e}"),
        };
        let p = item(&doc, "P");
        assert_eq!(p.inputs.len(), 1);
        assert!(!p.inputs[0].critical);
        assert_eq!(p.inputs[0].weight, 0.25);
    }

    #[test]
    fn report_reads_as_a_summary() {
        let text = import_excerpt().report.to_string();
        assert!(
            text.starts_with("imported CSET ETO Chip Explorer"),
            "{text}"
        );
        assert!(text.contains("items without any share: 100% spread equally"));
        assert!(text.contains("(N31)"), "{text}");
        assert!(text.contains("stage rows skipped (S1..S3)"));
    }

    /// The full CSET data is not shipped; run this by hand against a copy:
    /// `CSET_DIR=… [CSET_OUT=map.json] cargo test --lib import::cset -- --ignored --nocapture`.
    #[test]
    #[ignore = "needs the full CSET data in $CSET_DIR"]
    fn full_data_by_hand() {
        let Some(dir) = std::env::var_os("CSET_DIR") else {
            return;
        };
        let imported = match import_cset(Path::new(&dir), &Overlay::default()) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        };
        println!("{}", imported.report);
        if let Some(out) = std::env::var_os("CSET_OUT") {
            let json = serde_json::to_string_pretty(&imported.doc).unwrap_or_default();
            if let Err(e) = std::fs::write(&out, json) {
                panic!("write {out:?}: {e}");
            }
        }
    }

    #[test]
    fn market_sizes_parse_to_millions() {
        assert_eq!(parse_market_size("$13 billion (2025)"), Some(13000.0));
        assert_eq!(parse_market_size("$508 million (2025)"), Some(508.0));
        assert_eq!(parse_market_size("$40.1 million (2025)"), Some(40.1));
        assert_eq!(
            parse_market_size("$56.2 billion (microprocessors) (2019)"),
            Some(56200.0)
        );
        assert_eq!(parse_market_size("$10.9 billion"), Some(10900.0));
        assert_eq!(parse_market_size("$1,234 million"), Some(1234.0));
        assert_eq!(parse_market_size(""), None);
        assert_eq!(parse_market_size("about a billion"), None);
        assert_eq!(parse_market_size("$12 zillion"), None);
    }

    #[test]
    fn member_weights_fill_unknown_sizes() {
        // All known: proportional.
        let (w, how) = member_weights(&[Some(3.0), Some(1.0)], None);
        assert_eq!((w, how), (vec![0.75, 0.25], FamilyWeighting::MarketSizes));
        // Parent 10, known 3 + 1 = 4, two unknown: leftover 6 / 2 = 3 each,
        // capped at the known mean 2 → sizes 3, 1, 2, 2 over 8.
        let (w, how) = member_weights(&[Some(3.0), Some(1.0), None, None], Some(10.0));
        assert_eq!(how, FamilyWeighting::FilledSizes);
        assert_eq!(w, vec![0.375, 0.125, 0.25, 0.25]);
        // Parent 5, known 4, one unknown: leftover 1 (under the mean 2)
        // → sizes 3, 1, 1 over 5.
        let (w, _) = member_weights(&[Some(3.0), Some(1.0), None], Some(5.0));
        assert_eq!(w, vec![0.6, 0.2, 0.2]);
        // Nothing known: equal.
        let (w, how) = member_weights(&[None, None, None, None], Some(5.0));
        assert_eq!((w, how), (vec![0.25; 4], FamilyWeighting::Equal));
    }
}
