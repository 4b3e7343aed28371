//! The industrial chain map: its JSON document, the rules it must obey, and the
//! compiled index the engine propagates over.

mod compiled;
mod csr;
mod doc;
mod load;
mod problem;
mod summary;
mod validate;

pub use compiled::{
    Chain, ChainMap, CountryIx, Firm, FirmIx, Input, Item, ItemIx, Line, LineIx, NodeRef,
    Substitute, EU_MEMBERS,
};
pub use csr::Csr;
pub use doc::*;
pub use load::{load_file, parse_str};
pub use problem::{list as list_problems, MapError, Problem};
pub use summary::Summary;
pub use validate::{is_country_code, validate, MAX_DAYS, SHARE_SUM_TOLERANCE};
