//! Rules that relate fields of a chain map to each other: known ids, ranges,
//! share sums and ownership. Reports every problem with its path.

use std::collections::{HashMap, HashSet};

/// Longest span of days a map or an event may give (stock, switching,
/// expected durations): more is a unit mistake, not a duration.
pub const MAX_DAYS: f64 = 36_525.0;

use super::doc::{ChainMapDoc, SCHEMA_VERSION};
use super::problem::Problem;

/// Producer shares of one item may exceed 1 by this much before it is an error:
/// published market shares are rounded to a tenth of a percent.
pub const SHARE_SUM_TOLERANCE: f64 = 1e-6;

struct Check {
    problems: Vec<Problem>,
}

impl Check {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// An id labels alerts (`node`, `chain`); Alertmanager treats an empty
    /// label as none, so an empty or blank id would lose the alert's key.
    fn id(&mut self, path: String, id: &str) {
        if id.trim().is_empty() {
            self.fail(path, "an id must not be empty");
        }
    }

    fn fraction(&mut self, path: String, value: f64) {
        if !(0.0..=1.0).contains(&value) {
            self.fail(path, format!("{value} is outside 0..1"));
        }
    }

    fn days(&mut self, path: String, value: f64) {
        if !value.is_finite() || value < 0.0 {
            self.fail(path, format!("days must be zero or more, got {value}"));
        } else if value > MAX_DAYS {
            // QA: 1e300 days of stock passed, and hid every shortage behind it.
            self.fail(
                path,
                format!("days must be at most {MAX_DAYS} (100 years), got {value}"),
            );
        }
    }

    fn country(&mut self, path: String, code: &str) {
        if !is_country_code(code) {
            self.fail(
                path,
                format!("{code:?} is not an ISO 3166-1 alpha-2 code (two capital letters)"),
            );
        }
    }
}

pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Every problem in `doc`, in document order; empty when the map is sound.
pub fn validate(doc: &ChainMapDoc) -> Vec<Problem> {
    let mut c = Check {
        problems: Vec::new(),
    };
    if doc.version != SCHEMA_VERSION {
        c.fail(
            "version",
            format!(
                "unsupported schema version {}, this build reads {SCHEMA_VERSION}",
                doc.version
            ),
        );
    }
    c.country("home".into(), &doc.home);

    let mut chain_ids = HashSet::new();
    for (i, chain) in doc.chains.iter().enumerate() {
        c.id(format!("chains[{i}].id"), &chain.id);
        if !chain_ids.insert(chain.id.as_str()) {
            c.fail(
                format!("chains[{i}].id"),
                format!("duplicate chain id {:?}", chain.id),
            );
        }
    }

    // Items and firms share one namespace: an alert names a node by id alone.
    let mut node_ids: HashMap<&str, String> = HashMap::new();
    let mut item_ids = HashSet::new();
    for (i, item) in doc.items.iter().enumerate() {
        c.id(format!("items[{i}].id"), &item.id);
        if let Some(first) = node_ids.insert(&item.id, format!("items[{i}]")) {
            c.fail(
                format!("items[{i}].id"),
                format!("duplicate id {:?}, first used at {first}", item.id),
            );
        }
        item_ids.insert(item.id.as_str());
    }
    let mut firm_ids = HashSet::new();
    for (i, firm) in doc.firms.iter().enumerate() {
        c.id(format!("firms[{i}].id"), &firm.id);
        if let Some(first) = node_ids.insert(&firm.id, format!("firms[{i}]")) {
            c.fail(
                format!("firms[{i}].id"),
                format!("duplicate id {:?}, first used at {first}", firm.id),
            );
        }
        firm_ids.insert(firm.id.as_str());
    }

    for (i, chain) in doc.chains.iter().enumerate() {
        for (k, node) in chain.key_nodes.iter().enumerate() {
            if !node_ids.contains_key(node.as_str()) {
                c.fail(
                    format!("chains[{i}].key_nodes[{k}]"),
                    format!("unknown node {node:?}"),
                );
            }
        }
    }

    for (i, item) in doc.items.iter().enumerate() {
        let at = format!("items[{i}]");
        if let Some(family) = &item.family {
            if family == &item.id {
                c.fail(format!("{at}.family"), "an item cannot be a type of itself");
            } else if !item_ids.contains(family.as_str()) {
                c.fail(format!("{at}.family"), format!("unknown item {family:?}"));
            }
        }
        if item.grade == Some(0) {
            c.fail(
                format!("{at}.grade"),
                "grades start at 1 (the most capable)",
            );
        }
        c.days(format!("{at}.inventory_days"), item.inventory_days);
        for (k, input) in item.inputs.iter().enumerate() {
            if input.item == item.id {
                c.fail(
                    format!("{at}.inputs[{k}].item"),
                    "an item cannot be an input of itself",
                );
            } else if !item_ids.contains(input.item.as_str()) {
                c.fail(
                    format!("{at}.inputs[{k}].item"),
                    format!("unknown item {:?}", input.item),
                );
            }
            c.fraction(format!("{at}.inputs[{k}].weight"), input.weight);
        }
        for (k, chain) in item.chains.iter().enumerate() {
            if !chain_ids.contains(chain.as_str()) {
                c.fail(
                    format!("{at}.chains[{k}]"),
                    format!("unknown chain {chain:?}"),
                );
            }
        }
    }

    let mut share_sum: HashMap<&str, f64> = HashMap::new();
    for (i, firm) in doc.firms.iter().enumerate() {
        let at = format!("firms[{i}]");
        c.country(format!("{at}.country"), &firm.country);
        for (k, j) in firm.jurisdictions.iter().enumerate() {
            c.country(format!("{at}.jurisdictions[{k}]"), j);
        }
        let mut owned = 0.0;
        for (k, owner) in firm.owners.iter().enumerate() {
            if owner.firm == firm.id {
                c.fail(format!("{at}.owners[{k}].firm"), "a firm cannot own itself");
            } else if !firm_ids.contains(owner.firm.as_str()) {
                c.fail(
                    format!("{at}.owners[{k}].firm"),
                    format!("unknown firm {:?}", owner.firm),
                );
            }
            c.fraction(format!("{at}.owners[{k}].share"), owner.share);
            owned += owner.share;
        }
        if owned > 1.0 + SHARE_SUM_TOLERANCE {
            c.fail(
                format!("{at}.owners"),
                format!("owner shares sum to {:.1}% (over 100%)", owned * 100.0),
            );
        }
        let mut seen = HashSet::new();
        for (k, p) in firm.produces.iter().enumerate() {
            if !item_ids.contains(p.item.as_str()) {
                c.fail(
                    format!("{at}.produces[{k}].item"),
                    format!("unknown item {:?}", p.item),
                );
            } else if !seen.insert(p.item.as_str()) {
                c.fail(
                    format!("{at}.produces[{k}].item"),
                    format!("item {:?} listed twice for this firm", p.item),
                );
            }
            c.fraction(format!("{at}.produces[{k}].share"), p.share);
            if !p.spare.is_finite() || p.spare < 0.0 {
                c.fail(
                    format!("{at}.produces[{k}].spare"),
                    format!("spare capacity must be zero or more, got {}", p.spare),
                );
            }
            if p.share.is_finite() {
                *share_sum.entry(p.item.as_str()).or_default() += p.share;
            }
        }
        for (k, u) in firm.consumes.iter().enumerate() {
            if !item_ids.contains(u.item.as_str()) {
                c.fail(
                    format!("{at}.consumes[{k}].item"),
                    format!("unknown item {:?}", u.item),
                );
            }
            if let Some(days) = u.inventory_days {
                c.days(format!("{at}.consumes[{k}].inventory_days"), days);
            }
            c.fraction(format!("{at}.consumes[{k}].weight"), u.weight);
        }
    }
    for (i, item) in doc.items.iter().enumerate() {
        if let Some(sum) = share_sum.get(item.id.as_str()) {
            if *sum > 1.0 + SHARE_SUM_TOLERANCE {
                c.fail(
                    format!("items[{i}]"),
                    format!(
                        "producer shares of {:?} sum to {:.1}% (over 100%)",
                        item.id,
                        sum * 100.0
                    ),
                );
            }
        }
    }

    let mut pairs = HashSet::new();
    for (i, s) in doc.substitutes.iter().enumerate() {
        let at = format!("substitutes[{i}]");
        for (field, id) in [("from", &s.from), ("to", &s.to)] {
            if !item_ids.contains(id.as_str()) {
                c.fail(format!("{at}.{field}"), format!("unknown item {id:?}"));
            }
        }
        if s.from == s.to {
            c.fail(format!("{at}.to"), "an item cannot substitute for itself");
        }
        if !pairs.insert((s.from.as_str(), s.to.as_str())) {
            c.fail(
                at.clone(),
                format!("substitute {:?} → {:?} listed twice", s.from, s.to),
            );
        }
        c.days(format!("{at}.switch_days"), s.switch_days);
        c.fraction(format!("{at}.coverage"), s.coverage);
    }

    circular_control(doc, &mut c);
    light_weights(doc, &mut c);
    c.problems
}

/// The non-critical inputs a production line reads (its item's recipe and
/// its firm's own consumption) weigh at most 1 together: each weight is
/// the share of output that depends on that input, and output cannot lose
/// more than all of it. Above 1 the lost shares are cut off at nothing
/// left, and a shortfall upstream is passed on multiplied, so leaving out
/// an input short by under 5%, as the drivers trace does with a critical
/// input that does not bind, no longer moves a risk by under 5% (QA round
/// 15, H3: 0.343 against 0.062).
fn light_weights(doc: &ChainMapDoc, c: &mut Check) {
    let light = |inputs: &mut dyn Iterator<Item = (bool, f64)>| -> f64 {
        inputs
            .filter(|(critical, _)| !critical)
            .map(|(_, w)| w)
            .sum()
    };
    let mut recipe: HashMap<&str, f64> = HashMap::new();
    for (i, item) in doc.items.iter().enumerate() {
        let sum = light(&mut item.inputs.iter().map(|u| (u.critical, u.weight)));
        recipe.insert(item.id.as_str(), sum);
        if sum > 1.0 + SHARE_SUM_TOLERANCE {
            c.fail(
                format!("items[{i}].inputs"),
                format!(
                    "non-critical weights sum to {sum:.3}, over 1: each is the share of \
                     output that depends on that input (mark an input critical, or lower \
                     the weights; a weight left out counts as 1)"
                ),
            );
        }
    }
    for (i, firm) in doc.firms.iter().enumerate() {
        let own = light(&mut firm.consumes.iter().map(|u| (u.critical, u.weight)));
        if own == 0.0 {
            continue;
        }
        for (k, p) in firm.produces.iter().enumerate() {
            let sum = own + recipe.get(p.item.as_str()).copied().unwrap_or(0.0);
            if sum > 1.0 + SHARE_SUM_TOLERANCE {
                c.fail(
                    format!("firms[{i}].consumes"),
                    format!(
                        "non-critical weights sum to {sum:.3} with the recipe of {:?} \
                         (produces[{k}]), over 1: the line making it reads both, and \
                         each weight is the share of output that depends on that input",
                        p.item
                    ),
                );
            }
        }
    }
}

/// A cycle of majority holdings (A holds over half of B, B over half of A …)
/// makes control circular: the 50% rule would then decide a firm's status by
/// its own status, so such a map is rejected rather than guessed at.
fn circular_control(doc: &ChainMapDoc, c: &mut Check) {
    let index: HashMap<&str, usize> = doc
        .firms
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    // Edge owned → owner where the owner holds over half.
    let majority: Vec<Vec<usize>> = doc
        .firms
        .iter()
        .map(|f| {
            f.owners
                .iter()
                .filter(|o| o.share > 0.5)
                .filter_map(|o| index.get(o.firm.as_str()).copied())
                .collect()
        })
        .collect();
    // Iterative three-colour DFS: 0 new, 1 on stack, 2 done.
    let mut colour = vec![0u8; doc.firms.len()];
    for start in 0..doc.firms.len() {
        if colour[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        colour[start] = 1;
        while let Some((node, next)) = stack.last_mut() {
            if let Some(&owner) = majority[*node].get(*next) {
                *next += 1;
                match colour[owner] {
                    0 => {
                        colour[owner] = 1;
                        stack.push((owner, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == owner).unwrap_or(0);
                        let cycle: Vec<&str> = stack[from..]
                            .iter()
                            .map(|(n, _)| doc.firms[*n].id.as_str())
                            .chain(std::iter::once(doc.firms[owner].id.as_str()))
                            .collect();
                        c.fail(
                            format!("firms[{owner}].owners"),
                            format!("circular majority ownership {}", cycle.join(" → ")),
                        );
                    }
                    _ => {}
                }
            } else {
                colour[*node] = 2;
                stack.pop();
            }
        }
    }
}
