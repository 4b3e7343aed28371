//! Entity names folded to one comparable form, and the index that finds the
//! firms of a map by id, register id, name or alias.
//!
//! Sanction lists and registers write one company many ways ("Semiconductor
//! Manufacturing International Corp." / "…Corporation" / "ＳＭＩＣ"), so names
//! are compared after [`normalise_name`]: lowercase, full-width folded,
//! punctuation dropped, common legal-form suffixes stripped. A name is compared
//! under each of its [`name_keys`] (with a parenthesised acronym of its own
//! initials also alone and left out), spaces ignored, so "Hi-Silicon" meets
//! "HiSilicon" and "Semiconductor Manufacturing International Corporation
//! (SMIC)" meets "SMIC". Diacritics are not folded (no Unicode decomposition
//! table here): "Société" ≠ "Societe".

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::event::Target;
use crate::map::{ChainMap, FirmIx};

/// Legal forms stripped from the end of a name, as tokens after folding
/// (so "Co., Ltd." is `co ltd`, "S.A." is `sa`). Repeatedly: "Foo Group Co.,
/// Ltd." is `foo`.
const LEGAL_SUFFIXES: &[&str] = &[
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "gmbh",
    "ag",
    "se",
    "sa",
    "bv",
    "nv",
    "plc",
    "llc",
    "lp",
    "llp",
    "kk",
    "pte",
    "pty",
    "srl",
    "spa",
    "sarl",
    "group",
    "holding",
    "holdings",
];

/// The same for names written without spaces (Chinese, Japanese): stripped as
/// string suffixes, longest first.
const CJK_SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "株式会社",
    "有限公司",
    "集团",
    "集團",
    "控股",
    "公司",
];

/// Folds a name for comparison; empty when nothing comparable is left.
///
/// Dots and apostrophes join ("S.A." → `sa`, "McDonald's" → `mcdonalds`),
/// `&` reads as `and`, every other non-alphanumeric character separates words.
/// A legal suffix is never stripped when it is all that is left ("Holdings
/// Ltd." → `holdings`), so that such a name still matches itself.
pub fn normalise_name(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            // Full-width ASCII forms (ＳＭＩＣ, （）) and the ideographic space.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        };
        match c {
            '.' | '\'' | '\u{2019}' => {}
            '&' => folded.push_str(" and "),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    // Japanese names often lead with the legal form (株式会社東芝).
    if let Some(first) = words.first_mut() {
        if let Some(rest) = first.strip_prefix("株式会社").filter(|r| !r.is_empty()) {
            *first = rest;
        }
    }
    while let Some(&last) = words.last() {
        if words.len() > 1 && (LEGAL_SUFFIXES.contains(&last) || CJK_SUFFIXES.contains(&last)) {
            words.pop();
        } else if let Some(rest) = CJK_SUFFIXES
            .iter()
            .find_map(|s| last.strip_suffix(s))
            .filter(|r| !r.is_empty())
        {
            words.pop();
            words.push(rest);
        } else {
            break;
        }
    }
    words.join(" ")
}

/// Every key `name` is compared under, folded by [`normalise_name`], first the
/// whole name. A parenthesised acronym of the name's own initials adds the
/// acronym alone and the name without it ("Semiconductor Manufacturing
/// International Corporation (SMIC)" is SMIC). Any other parenthesised part
/// stays: "… International (Beijing) Corporation" is a subsidiary, not SMIC
/// (QA), and "(WUXI)" is a place, not an abbreviation of the name.
pub fn name_keys(name: &str) -> Vec<String> {
    let mut outside = String::with_capacity(name.len());
    let mut inside: Vec<String> = Vec::new();
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' | '\u{FF08}' | '[' => {
                depth += 1;
                if depth == 1 {
                    inside.push(String::new());
                }
                outside.push(' ');
            }
            ')' | '\u{FF09}' | ']' if depth > 0 => depth -= 1,
            c if depth > 0 => {
                if let Some(part) = inside.last_mut() {
                    part.push(c);
                }
            }
            c => outside.push(c),
        }
    }
    let mut keys = vec![normalise_name(name)];
    if let [part] = &inside[..] {
        let part = part.trim();
        if abbreviates(part, &outside) {
            keys.push(normalise_name(part));
            keys.push(normalise_name(&outside));
        }
    }
    let mut seen = HashSet::new();
    keys.retain(|k| !k.is_empty() && seen.insert(compact(k)));
    keys
}

/// Whether `part` is an acronym of `name`'s own words: 2 to 8 capitals, each
/// the initial of a word in order (legal forms counted or not: SMIC is
/// Semiconductor Manufacturing International Corporation).
fn abbreviates(part: &str, name: &str) -> bool {
    let letters = part.chars().count();
    if !(2..=8).contains(&letters) || !part.chars().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    let part = part.to_lowercase();
    let initials = |words: &str| -> String {
        words
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .collect()
    };
    let mut folded = String::new();
    for c in name.chars() {
        match c {
            '.' | '\'' => {}
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    initials(&folded) == part || initials(&normalise_name(name)) == part
}

/// A key as compared: without its spaces, so that word breaks a list writes
/// differently ("Hi-Silicon", "Hi Silicon") do not matter.
fn compact(key: &str) -> String {
    key.split(' ').collect()
}

fn hash(s: &str) -> u64 {
    // SipHash with fixed keys: the same on every run, which keeps the index
    // build deterministic. Collisions are harmless: hits are re-checked.
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// How a target was matched to a firm, for notes and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchedBy {
    /// The target id is the firm's id in the map.
    Id,
    /// The target id is one of the firm's `external_ids` (scheme named).
    ExternalId { scheme: String },
    /// A name of the target, normalised to `key`, is the firm's name.
    Name { key: String },
    /// … or one of the firm's aliases.
    Alias { key: String },
}

impl std::fmt::Display for MatchedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MatchedBy::Id => f.write_str("by id"),
            MatchedBy::ExternalId { scheme } => write!(f, "by {scheme} id"),
            MatchedBy::Name { key } => write!(f, "by name ({key:?})"),
            MatchedBy::Alias { key } => write!(f, "by alias ({key:?})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetMatch {
    pub firm: FirmIx,
    pub by: MatchedBy,
}

/// Firms by register id and by normalised name/alias. Kept as sorted
/// `(hash, firm)` pairs (12–16 bytes an entry) rather than a map of strings,
/// so a million-firm map costs tens of megabytes, not hundreds; each hit is
/// confirmed against the firm itself.
#[derive(Clone, Default)]
pub struct NameIndex {
    names: Vec<(u64, FirmIx)>,
    external_ids: Vec<(u64, FirmIx)>,
}

impl std::fmt::Debug for NameIndex {
    // Sizes only: a national map's index would fill a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameIndex")
            .field("names", &self.names.len())
            .field("external_ids", &self.external_ids.len())
            .finish()
    }
}

impl NameIndex {
    pub fn build(map: &ChainMap) -> NameIndex {
        let mut names = Vec::with_capacity(map.firms.len());
        let mut external_ids = Vec::new();
        for (ix, firm) in map.firms.iter().enumerate() {
            let ix = ix as FirmIx;
            for name in std::iter::once(&firm.name).chain(&firm.aliases) {
                for key in name_keys(name) {
                    names.push((hash(&compact(&key)), ix));
                }
            }
            for (_, value) in &firm.external_ids {
                external_ids.push((hash(value), ix));
            }
        }
        names.sort_unstable();
        names.dedup();
        external_ids.sort_unstable();
        external_ids.dedup();
        NameIndex {
            names,
            external_ids,
        }
    }

    fn candidates<'a>(list: &'a [(u64, FirmIx)], key: &str) -> impl Iterator<Item = FirmIx> + 'a {
        let h = hash(key);
        let from = list.partition_point(|(k, _)| *k < h);
        list[from..]
            .iter()
            .take_while(move |(k, _)| *k == h)
            .map(|(_, f)| *f)
    }

    /// Whether the target gives no name, or one of its names is one of the
    /// firm's.
    pub fn names_fit(map: &ChainMap, target: &Target, firm: FirmIx) -> bool {
        let f = &map.firms[firm as usize];
        let firm_keys: HashSet<String> = std::iter::once(&f.name)
            .chain(&f.aliases)
            .flat_map(|n| name_keys(n))
            .map(|k| compact(&k))
            .collect();
        let mut named = target.name.iter().chain(&target.aliases).peekable();
        named.peek().is_none()
            || named.any(|n| name_keys(n).iter().any(|k| firm_keys.contains(&compact(k))))
    }

    /// Firms the target names, sorted by firm: by id when its id is known (a
    /// firm id or a register id), otherwise by any of its names against any of
    /// a firm's, within the target's country when it gives one. A name shared
    /// by several firms matches them all: a list that names an entity
    /// ambiguously is read broadly, and the notes say so. An id whose firm
    /// has none of the target's names is kept, and the names matched too.
    pub fn lookup(&self, map: &ChainMap, target: &Target) -> Vec<TargetMatch> {
        let mut out: Vec<TargetMatch> = Vec::new();
        if let Some(id) = &target.id {
            if let Some(firm) = map.firm(id) {
                out.push(TargetMatch {
                    firm,
                    by: MatchedBy::Id,
                });
            }
            for firm in Self::candidates(&self.external_ids, id) {
                let scheme = map.firms[firm as usize]
                    .external_ids
                    .iter()
                    .find(|(_, v)| v == id)
                    .map(|(k, _)| k.clone());
                if let Some(scheme) = scheme {
                    out.push(TargetMatch {
                        firm,
                        by: MatchedBy::ExternalId { scheme },
                    });
                }
            }
            // An id whose firm the target's names contradict is a data error
            // in the list or the map: read broadly, the names are matched too.
            if !out.is_empty() && out.iter().all(|m| Self::names_fit(map, target, m.firm)) {
                return dedup(out);
            }
        }
        let country = match &target.country {
            // A country no firm of the map is in: no name can match there.
            Some(code) => match map.country(code) {
                Some(c) => Some(c),
                None => return out,
            },
            None => None,
        };
        let mut seen = HashSet::new();
        let keys = target
            .name
            .iter()
            .chain(&target.aliases)
            .flat_map(|n| name_keys(n));
        for key in keys {
            let compacted = compact(&key);
            if !seen.insert(compacted.clone()) {
                continue;
            }
            let meets = |name: &String| name_keys(name).iter().any(|k| compact(k) == compacted);
            for firm in Self::candidates(&self.names, &compacted) {
                let f = &map.firms[firm as usize];
                if country.is_some_and(|c| c != f.country) {
                    continue;
                }
                let by = if meets(&f.name) {
                    MatchedBy::Name { key: key.clone() }
                } else if f.aliases.iter().any(meets) {
                    MatchedBy::Alias { key: key.clone() }
                } else {
                    continue; // hash collision
                };
                out.push(TargetMatch { firm, by });
            }
        }
        dedup(out)
    }
}

/// One match per firm, the first (strongest) kind found kept.
fn dedup(mut matches: Vec<TargetMatch>) -> Vec<TargetMatch> {
    let mut seen = HashSet::new();
    matches.retain(|m| seen.insert(m.firm));
    matches.sort_by_key(|m| m.firm);
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_forms_punctuation_and_width_fold_away() {
        let smic = "semiconductor manufacturing international";
        assert_eq!(
            normalise_name("Semiconductor Manufacturing International Corp."),
            smic
        );
        assert_eq!(
            normalise_name("Semiconductor Manufacturing International Corporation"),
            smic
        );
        assert_eq!(normalise_name("ＳＭＩＣ"), "smic");
        assert_eq!(normalise_name("Foo Tech Group Co., Ltd."), "foo tech");
        assert_eq!(normalise_name("Foo-Tech  (Holdings) Limited"), "foo tech");
        assert_eq!(normalise_name("Acme S.A."), "acme");
        assert_eq!(normalise_name("Acme B.V."), "acme");
        assert_eq!(normalise_name("AT&T Inc."), "at and t");
        assert_eq!(
            normalise_name("中芯国际集成电路制造有限公司"),
            "中芯国际集成电路制造"
        );
        assert_eq!(normalise_name("株式会社東芝"), "東芝");
        // Only a legal form: kept, so that it still matches itself.
        assert_eq!(normalise_name("Holdings Ltd."), "holdings");
        assert_eq!(normalise_name(" ,. "), "");
    }

    #[test]
    fn a_parenthesised_acronym_of_the_name_gives_it_and_the_name_without_it() {
        assert_eq!(
            name_keys("Semiconductor Manufacturing International Corporation (SMIC)"),
            [
                "semiconductor manufacturing international corporation smic",
                "smic",
                "semiconductor manufacturing international",
            ]
        );
        // A legal form in parentheses folds away: one key.
        assert_eq!(
            name_keys("Shanghai Micro Electronics Equipment (Group) Co., Ltd."),
            ["shanghai micro electronics equipment"]
        );
        // A place, or anything not the name's initials, stays (QA: a
        // subsidiary matched its parent).
        assert_eq!(
            name_keys("Semiconductor Manufacturing International (Beijing) Corporation"),
            ["semiconductor manufacturing international beijing"]
        );
        assert_eq!(
            name_keys("Hua Hong Semiconductor (WUXI) Limited"),
            ["hua hong semiconductor wuxi"]
        );
        assert_eq!(name_keys("Foo Tech (PRC)"), ["foo tech prc"]);
        assert_eq!(
            name_keys("Some Other Name (SMIC)"),
            ["some other name smic"]
        );
        // Full-width parentheses, as Chinese registers write them.
        assert_eq!(name_keys("中芯国际（北京）有限公司"), ["中芯国际 北京"]);
        assert_eq!(name_keys("(  )"), Vec::<String>::new());
    }

    #[test]
    fn word_breaks_do_not_matter() {
        assert_eq!(compact(&normalise_name("Hi-Silicon")), "hisilicon");
        assert_eq!(compact(&normalise_name("HiSilicon")), "hisilicon");
    }
}
