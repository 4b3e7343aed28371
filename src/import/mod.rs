//! Importers: turn published supply-chain registers into a chain map document
//! (`crate::map::ChainMapDoc`) that passes `crate::map::validate`.
//!
//! Owns the CSET ETO Chip Explorer converter (`cset`), the small typed overlay
//! of judgements the data does not hold (`overlay`: grades, inventory days,
//! substitute terms, spare capacity), the country-code table (`country`) and
//! the error every importer returns. Reading files happens here, at the edge;
//! the map it produces is plain data for the pure core.

mod country;
mod cset;
mod overlay;

use std::path::PathBuf;

use crate::map::Problem;

pub use country::{alpha2, UNATTRIBUTED};
pub use cset::{
    import_cset, parse_market_size, FamilyWeighting, ImportReport, Imported, RowCounts, CHAIN_ID,
    CHAIN_NAME,
};
pub use overlay::{
    load_overlay, DowngradeTerms, EdgeOverride, GradeOrder, InventoryDays, Overlay,
    SubstituteOverride, SubstituteRules, SubstituteTerms, BUILTIN_OVERLAY,
};

/// Why an import stopped. Rows are numbered as a spreadsheet shows them: the
/// header is row 1, the first data row is row 2.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} has no column {column:?} (its header is: {header})")]
    MissingColumn {
        file: String,
        column: String,
        header: String,
    },
    /// The row is not well-formed CSV (wrong number of fields, bad UTF-8 …).
    #[error("{file} row {row}: {message}")]
    Csv {
        file: String,
        row: u64,
        message: String,
    },
    /// e.g. `provision.csv row 17, column share_provided: "abc" is not a number`.
    #[error("{file} row {row}, column {column}: {value:?} {problem}")]
    BadValue {
        file: String,
        row: u64,
        column: String,
        value: String,
        problem: String,
    },
    /// e.g. `sequence.csv row 9, column input_id: unknown input "N999" (not in inputs.csv)`.
    #[error("{file} row {row}, column {column}: unknown {kind} {id:?} (not in {defined_in})")]
    UnknownId {
        file: String,
        row: u64,
        column: String,
        id: String,
        kind: &'static str,
        defined_in: &'static str,
    },
    /// An id or pair given twice where once is the rule.
    #[error(
        "{file} row {row}, column {column}: {what} {id:?} was already given at row {first_row}"
    )]
    Duplicate {
        file: String,
        row: u64,
        column: String,
        what: &'static str,
        id: String,
        first_row: u64,
    },
    #[error("overlay {origin}: {message}")]
    Overlay { origin: String, message: String },
    /// The converter produced a map the validator rejects: a bug in the
    /// converter or an overlay it did not foresee, never silently written out.
    #[error("the imported map breaks {} rule(s):\n{}", problems.len(), crate::map::list_problems(problems))]
    Invalid { problems: Vec<Problem> },
}
