//! The validated chain map as the engine reads it: dense indices instead of ids,
//! and every relation stored both ways as compressed adjacency lists.

use std::collections::HashMap;

use super::csr::Csr;
use super::doc::{ChainMapDoc, SubstituteGrade};

pub type ItemIx = u32;
pub type FirmIx = u32;
/// Index of a production line (one firm producing one item).
pub type LineIx = u32;
/// Interned ISO 3166-1 alpha-2 code.
pub type CountryIx = u16;

/// A node of the map as alerts and assessments name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeRef {
    Item(ItemIx),
    Firm(FirmIx),
}

#[derive(Debug, Clone)]
pub struct Chain {
    pub id: String,
    pub name: String,
    pub key_nodes: Vec<NodeRef>,
    pub roster: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub family: Option<ItemIx>,
    pub grade: Option<u32>,
    pub inventory_days: f64,
    pub chains: Vec<u16>,
}

#[derive(Debug, Clone)]
pub struct Firm {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub external_ids: Vec<(String, String)>,
    pub country: CountryIx,
    /// Every jurisdiction whose export rules bind this firm, its country's first.
    pub subject_to: Vec<CountryIx>,
    pub owners: Vec<(FirmIx, f64)>,
}

/// A dependency on an input item, from a recipe or a firm's own consumption.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    pub item: ItemIx,
    pub critical: bool,
    pub weight: f64,
    /// Stock of the input held by the consumer; zero for recipe inputs, whose
    /// buffer is the input item's own `inventory_days`.
    pub inventory_days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub firm: FirmIx,
    pub item: ItemIx,
    pub share: f64,
    pub spare: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Substitute {
    pub to: ItemIx,
    pub grade: SubstituteGrade,
    pub switch_days: f64,
    pub coverage: f64,
}

/// The whole map, immutable once built. Build it with [`ChainMap::compile`]
/// after `validate` found no problem.
/// The EU's member states (ISO 3166-1 alpha-2; Greece is `GR`).
pub const EU_MEMBERS: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

#[derive(Debug, Clone)]
pub struct ChainMap {
    pub home: CountryIx,
    pub source: Option<String>,
    pub chains: Vec<Chain>,
    pub items: Vec<Item>,
    pub firms: Vec<Firm>,
    countries: Vec<String>,
    country_index: HashMap<String, CountryIx>,
    item_index: HashMap<String, ItemIx>,
    firm_index: HashMap<String, FirmIx>,
    /// Production lines grouped by item; a line's index is its flat position.
    lines: Csr<Line>,
    /// Line indices of each firm.
    firm_lines: Csr<LineIx>,
    recipe: Csr<Input>,
    consumes: Csr<Input>,
    /// Items whose recipe names the row item.
    recipe_users: Csr<ItemIx>,
    /// Firms that consume the row item directly.
    consumers: Csr<FirmIx>,
    substitutes: Csr<Substitute>,
}

impl ChainMap {
    /// Builds the index. The document must have passed `validate`: unknown ids
    /// are skipped here rather than reported.
    pub fn compile(doc: &ChainMapDoc) -> ChainMap {
        let mut countries = Vec::new();
        let mut country_index = HashMap::new();
        let mut intern = |code: &str| -> CountryIx {
            *country_index.entry(code.to_string()).or_insert_with(|| {
                countries.push(code.to_string());
                (countries.len() - 1) as CountryIx
            })
        };
        let home = intern(&doc.home);
        let chain_index: HashMap<&str, u16> = doc
            .chains
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i as u16))
            .collect();
        let item_index: HashMap<String, ItemIx> = doc
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.clone(), i as ItemIx))
            .collect();
        let firm_index: HashMap<String, FirmIx> = doc
            .firms
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.clone(), i as FirmIx))
            .collect();
        let node = |id: &str| -> Option<NodeRef> {
            item_index
                .get(id)
                .map(|i| NodeRef::Item(*i))
                .or_else(|| firm_index.get(id).map(|f| NodeRef::Firm(*f)))
        };

        let chains = doc
            .chains
            .iter()
            .map(|c| Chain {
                id: c.id.clone(),
                name: c.name.clone(),
                key_nodes: c.key_nodes.iter().filter_map(|n| node(n)).collect(),
                roster: c.roster.clone(),
            })
            .collect();
        let items = doc
            .items
            .iter()
            .map(|it| Item {
                id: it.id.clone(),
                name: it.name.clone(),
                family: it.family.as_ref().and_then(|f| item_index.get(f).copied()),
                grade: it.grade,
                inventory_days: it.inventory_days,
                chains: it
                    .chains
                    .iter()
                    .filter_map(|c| chain_index.get(c.as_str()).copied())
                    .collect(),
            })
            .collect();
        let firms = doc
            .firms
            .iter()
            .map(|f| {
                let country = intern(&f.country);
                let mut subject_to = vec![country];
                // EU export rules (the dual-use regulation) bind every firm
                // in a member state, whatever the map lists (QA: an EU
                // control bound nobody, as no CSET firm says `EU`).
                let eu = EU_MEMBERS.contains(&f.country.as_str()).then_some("EU");
                for j in f.jurisdictions.iter().map(String::as_str).chain(eu) {
                    let j = intern(j);
                    if !subject_to.contains(&j) {
                        subject_to.push(j);
                    }
                }
                Firm {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    aliases: f.aliases.clone(),
                    external_ids: f
                        .external_ids
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    country,
                    subject_to,
                    owners: f
                        .owners
                        .iter()
                        .filter_map(|o| firm_index.get(&o.firm).map(|ix| (*ix, o.share)))
                        .collect(),
                }
            })
            .collect();

        let n_items = doc.items.len();
        let n_firms = doc.firms.len();
        let mut line_pairs = Vec::new();
        let mut consume_pairs = Vec::new();
        let mut consumer_pairs = Vec::new();
        for (f, firm) in doc.firms.iter().enumerate() {
            for p in &firm.produces {
                if let Some(&item) = item_index.get(&p.item) {
                    let line = Line {
                        firm: f as FirmIx,
                        item,
                        share: p.share,
                        spare: p.spare,
                    };
                    line_pairs.push((item, line));
                }
            }
            for u in &firm.consumes {
                if let Some(&item) = item_index.get(&u.item) {
                    consume_pairs.push((
                        f as FirmIx,
                        Input {
                            item,
                            critical: u.critical,
                            weight: u.weight,
                            inventory_days: u
                                .inventory_days
                                .unwrap_or(doc.items[item as usize].inventory_days),
                        },
                    ));
                    consumer_pairs.push((item, f as FirmIx));
                }
            }
        }
        let lines = Csr::from_pairs(n_items, line_pairs);
        let firm_lines = Csr::from_pairs(
            n_firms,
            lines
                .all()
                .iter()
                .enumerate()
                .map(|(ix, l)| (l.firm, ix as LineIx))
                .collect(),
        );
        let mut recipe_pairs = Vec::new();
        let mut user_pairs = Vec::new();
        for (i, it) in doc.items.iter().enumerate() {
            for input in &it.inputs {
                if let Some(&c) = item_index.get(&input.item) {
                    recipe_pairs.push((
                        i as ItemIx,
                        Input {
                            item: c,
                            critical: input.critical,
                            weight: input.weight,
                            inventory_days: 0.0,
                        },
                    ));
                    user_pairs.push((c, i as ItemIx));
                }
            }
        }
        let substitutes = Csr::from_pairs(
            n_items,
            doc.substitutes
                .iter()
                .filter_map(|s| {
                    let from = *item_index.get(&s.from)?;
                    let to = *item_index.get(&s.to)?;
                    Some((
                        from,
                        Substitute {
                            to,
                            grade: s.grade,
                            switch_days: s.switch_days,
                            coverage: s.coverage,
                        },
                    ))
                })
                .collect(),
        );
        ChainMap {
            home,
            source: doc.source.clone(),
            chains,
            items,
            firms,
            countries,
            country_index,
            item_index,
            firm_index,
            lines,
            firm_lines,
            recipe: Csr::from_pairs(n_items, recipe_pairs),
            consumes: Csr::from_pairs(n_firms, consume_pairs),
            recipe_users: Csr::from_pairs(n_items, user_pairs),
            consumers: Csr::from_pairs(n_items, consumer_pairs),
            substitutes,
        }
    }

    pub fn item(&self, id: &str) -> Option<ItemIx> {
        self.item_index.get(id).copied()
    }

    pub fn firm(&self, id: &str) -> Option<FirmIx> {
        self.firm_index.get(id).copied()
    }

    pub fn node(&self, id: &str) -> Option<NodeRef> {
        self.item(id)
            .map(NodeRef::Item)
            .or_else(|| self.firm(id).map(NodeRef::Firm))
    }

    pub fn node_id(&self, node: NodeRef) -> &str {
        match node {
            NodeRef::Item(i) => &self.items[i as usize].id,
            NodeRef::Firm(f) => &self.firms[f as usize].id,
        }
    }

    pub fn node_name(&self, node: NodeRef) -> &str {
        match node {
            NodeRef::Item(i) => &self.items[i as usize].name,
            NodeRef::Firm(f) => &self.firms[f as usize].name,
        }
    }

    /// Interned index of a country code, if any firm or the home uses it.
    pub fn country(&self, code: &str) -> Option<CountryIx> {
        self.country_index.get(code).copied()
    }

    pub fn country_code(&self, ix: CountryIx) -> &str {
        &self.countries[ix as usize]
    }

    pub fn country_count(&self) -> usize {
        self.countries.len()
    }

    /// Producers of `item`; line indices run from `lines_offset(item)`.
    pub fn producers(&self, item: ItemIx) -> &[Line] {
        self.lines.row(item)
    }

    pub fn lines_offset(&self, item: ItemIx) -> LineIx {
        self.lines.offset(item)
    }

    pub fn line(&self, ix: LineIx) -> &Line {
        &self.lines.all()[ix as usize]
    }

    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Chains a node is alerted in: an item's own chains; for a firm in the
    /// home country, the chains of what it makes. Foreign firms' trouble
    /// shows on the items they make, so they are not alerted on by name.
    pub fn alert_chains(&self, node: NodeRef) -> Vec<u16> {
        match node {
            NodeRef::Item(i) => self.items[i as usize].chains.clone(),
            NodeRef::Firm(f) => {
                if self.firms[f as usize].country != self.home {
                    return Vec::new();
                }
                // A firm is in the chains of what it makes; one that makes
                // nothing in the map (a device maker that only buys chips) in
                // those of what it buys, or it could be short and never alert.
                let lines = self.lines_of_firm(f);
                let items: Vec<ItemIx> = if lines.is_empty() {
                    self.consumes(f).iter().map(|u| u.item).collect()
                } else {
                    lines.iter().map(|l| self.line(*l).item).collect()
                };
                let mut chains: Vec<u16> = items
                    .iter()
                    .flat_map(|i| self.items[*i as usize].chains.iter())
                    .copied()
                    .collect();
                chains.sort_unstable();
                chains.dedup();
                chains
            }
        }
    }

    pub fn lines_of_firm(&self, firm: FirmIx) -> &[LineIx] {
        self.firm_lines.row(firm)
    }

    pub fn recipe(&self, item: ItemIx) -> &[Input] {
        self.recipe.row(item)
    }

    pub fn consumes(&self, firm: FirmIx) -> &[Input] {
        self.consumes.row(firm)
    }

    pub fn recipe_users(&self, item: ItemIx) -> &[ItemIx] {
        self.recipe_users.row(item)
    }

    pub fn consumers(&self, item: ItemIx) -> &[FirmIx] {
        self.consumers.row(item)
    }

    pub fn substitutes(&self, item: ItemIx) -> &[Substitute] {
        self.substitutes.row(item)
    }

    /// An item nobody is recorded as producing is made in place by its buyers
    /// (a process step such as photolithography): its supply is its recipe's.
    pub fn is_assembled(&self, item: ItemIx) -> bool {
        self.lines.row(item).is_empty()
    }

    /// Whether some item names `item` as its family.
    pub fn is_family(&self, item: ItemIx) -> bool {
        self.items.iter().any(|m| m.family == Some(item))
    }

    /// An item nobody makes and that keeps no stock, made of items that are
    /// made or are families, not of steps made in place: "fabrication
    /// materials" (wafers, gases, chemicals), "etch and clean tools" (dry
    /// and wet tools). A process step reads the step before it, so a price
    /// or a control naming it does not reach up the whole chain.
    /// A family is not one: it stands for its members.
    pub fn is_aggregate(&self, item: ItemIx) -> bool {
        let recipe = self.recipe(item);
        self.is_assembled(item)
            && !self.is_family(item)
            && self.items[item as usize].inventory_days == 0.0
            && !recipe.is_empty()
            && recipe
                .iter()
                .all(|u| !self.is_assembled(u.item) || self.is_family(u.item))
    }

    /// What `item` stands for where things are made: the item itself, or,
    /// for a family parent nobody makes (an aggregate of its members, as
    /// the CSET import builds them), its members, and for an
    /// [aggregate](Self::is_aggregate), what it is made of, down to those
    /// someone makes (ascending). A price or a control naming it acts
    /// there, where its stock is.
    pub fn made_members(&self, item: ItemIx) -> Vec<ItemIx> {
        let members = |parent: ItemIx| -> Vec<ItemIx> {
            (0..self.items.len() as ItemIx)
                .filter(|m| self.items[*m as usize].family == Some(parent))
                .collect()
        };
        let mut out = Vec::new();
        let mut seen = vec![item];
        let mut stack = vec![item];
        while let Some(i) = stack.pop() {
            let below = if !self.is_assembled(i) {
                Vec::new()
            } else if self.is_aggregate(i) {
                self.recipe(i).iter().map(|u| u.item).collect()
            } else {
                members(i)
            };
            if below.is_empty() {
                out.push(i);
            }
            // `seen` keeps a family loop (which no rule forbids) from spinning.
            for m in below {
                if !seen.contains(&m) {
                    seen.push(m);
                    stack.push(m);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn dependency_edges(&self) -> usize {
        self.lines.len() + self.recipe.len() + self.consumes.len()
    }

    /// Heap bytes held by the adjacency lists (names and ids excluded).
    pub fn adjacency_bytes(&self) -> usize {
        self.lines.heap_bytes()
            + self.firm_lines.heap_bytes()
            + self.recipe.heap_bytes()
            + self.consumes.heap_bytes()
            + self.recipe_users.heap_bytes()
            + self.consumers.heap_bytes()
            + self.substitutes.heap_bytes()
    }
}
