//! A second `add` of a measure already in force: what it adds to the
//! measure. Feeds keep one id for a standing list ("us-entity-list") and
//! file each year's entries as an add; taken as a restatement, the 2022
//! entries delisted those of 2019, silently (QA16 F1).
//!
//! A measure reaches the product of its targets, items and destinations, so
//! two forms that differ in one of those three make one measure, their
//! union, exactly. Differing in two or more, or in issuer or licence
//! policy, their union would cut what neither notice cut: such an add is
//! refused, naming what differs, rather than guessed at.

use chrono::{DateTime, Utc};

use super::NormaliseError;
use crate::event::{Sanction, SanctionAction, ALL_ITEMS};

/// The measure `current`, in force since `since`, widened by `add`, as the
/// amend that states its whole new form, under the add's id and time, with
/// a note for people. The measure keeps its start (what the add brings
/// starts when the add takes effect: the caller's), and it is expected to
/// end when its last part does: never known if either notice gave no
/// duration (QA17: an add's 30 days ended an open-ended control).
///
/// Destinations `buys` says no buyer is in are left out of the comparison:
/// the map has nobody there to cut (QA17: an add to CN after one to CN and
/// MO, which the map has no firm in, was refused).
pub(crate) fn widen(
    current: &Sanction,
    since: DateTime<Utc>,
    add: &Sanction,
    buys: impl Fn(&str) -> bool,
) -> Result<(Sanction, String), NormaliseError> {
    let buyers = |d: &[String]| -> Vec<String> { d.iter().filter(|c| buys(c)).cloned().collect() };
    let (now_to, add_to) = (buyers(&current.destinations), buyers(&add.destinations));
    let mut differs = Vec::new();
    if current.issuer_jurisdiction != add.issuer_jurisdiction {
        differs.push("issuer_jurisdiction");
    }
    if current.license_policy != add.license_policy {
        differs.push("license_policy");
    }
    if !same_set(&current.targets, &add.targets) {
        differs.push("targets");
    }
    if !same_items(&current.items, &add.items) {
        differs.push("items");
    }
    if !same_set(&now_to, &add_to) {
        differs.push("destinations");
    }
    // Adding nothing new (a repeat, or a part of what is in force, such as
    // a destination the map has no buyers in dropped) restates it.
    let within = within(&add.targets, &current.targets)
        && (all_items(&current.items)
            || (!all_items(&add.items) && within(&add.items, &current.items)))
        && within(&add_to, &now_to);
    let reach_only = differs
        .iter()
        .all(|d| matches!(*d, "targets" | "items" | "destinations"));
    let widens = match differs.as_slice() {
        [] => None,
        [part @ ("targets" | "items" | "destinations")] => Some(*part),
        _ if within && reach_only => None,
        _ => {
            return Err(NormaliseError::invalid(
                "measure",
                format!(
                    "{:?} is in force (event {:?}) and this add differs from it in {}: \
                     one measure can take a new part only in its targets, its items or \
                     its destinations; send an amend with its whole new form, or give \
                     this add a measure id of its own",
                    add.measure,
                    current.id,
                    differs.join(" and ")
                ),
            ))
        }
    };
    let mut widened = add.clone();
    widened.action = SanctionAction::Amend;
    widened.effective = None;
    widened.authority = add.authority.clone().or_else(|| current.authority.clone());
    widened.targets = union(&current.targets, &add.targets);
    widened.items = if all_items(&current.items) {
        current.items.clone()
    } else if all_items(&add.items) {
        add.items.clone()
    } else {
        union(&current.items, &add.items)
    };
    widened.destinations = union(&current.destinations, &add.destinations);
    let from = add.effective.unwrap_or(add.ts);
    widened.expected_duration_days =
        match (current.expected_duration_days, add.expected_duration_days) {
            (Some(now), Some(days)) => {
                Some(now.max((from - since).num_seconds() as f64 / 86_400.0 + days))
            }
            _ => None,
        };
    let grows = !(same_set(&widened.targets, &current.targets)
        && same_items(&widened.items, &current.items)
        && same_set(&buyers(&widened.destinations), &now_to));
    let note = match widens.filter(|_| grows) {
        None => format!(
            "measure {:?} is in force with the same reach: this add restates it",
            add.measure
        ),
        Some(part) => format!(
            "measure {:?} is in force (event {:?}): this add widens its {part}, and \
             what it adds takes effect from this notice",
            add.measure, current.id
        ),
    };
    Ok((widened, note))
}

fn all_items(items: &[String]) -> bool {
    items.is_empty() || items.iter().any(|i| i == ALL_ITEMS)
}

fn same_items(a: &[String], b: &[String]) -> bool {
    (all_items(a) && all_items(b)) || (!all_items(a) && !all_items(b) && same_set(a, b))
}

fn within<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.iter().all(|x| b.contains(x))
}

fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    within(a, b) && within(b, a)
}

/// `a`, then what `b` has that `a` lacks, in order.
fn union<T: PartialEq + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = a.to_vec();
    out.extend(b.iter().filter(|x| !a.contains(x)).cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode, Event};

    fn day(d: &str) -> DateTime<Utc> {
        format!("{d}T00:00:00Z").parse().unwrap()
    }

    fn sanction(json: &str) -> Sanction {
        match decode(json.as_bytes()) {
            Ok(Event::Sanction(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    const HISILICON: &str = r#"{"id":"el-2019","type":"sanction","ts":"2019-05-16T00:00:00Z","measure":"us-entity-list","action":"add","issuer_jurisdiction":"US","targets":[{"name":"HiSilicon"}],"items":["*"],"license_policy":"denial"}"#;
    const SMEE: &str = r#"{"id":"el-2022","type":"sanction","ts":"2022-12-15T00:00:00Z","measure":"us-entity-list","action":"add","issuer_jurisdiction":"US","targets":[{"name":"SMEE"}],"items":["*"],"license_policy":"denial","expected_duration_days":30}"#;

    #[test]
    fn entries_added_to_a_list_join_those_in_force() {
        let (widened, note) = widen(
            &sanction(HISILICON),
            day("2019-05-16"),
            &sanction(SMEE),
            |_| true,
        )
        .unwrap();
        let names: Vec<_> = widened.targets.iter().map(|t| t.name.as_deref()).collect();
        assert_eq!(names, [Some("HiSilicon"), Some("SMEE")]);
        assert_eq!(widened.items, ["*"]);
        assert_eq!(widened.action, SanctionAction::Amend);
        assert_eq!(widened.id, "el-2022");
        // HiSilicon's listing gave no end: neither has the list (QA17 F1).
        assert_eq!(widened.expected_duration_days, None);
        assert!(note.contains("widens its targets"), "{note}");
        // An add of what is in force already restates it.
        let (again, note) = widen(&widened, day("2019-05-16"), &sanction(SMEE), |_| true).unwrap();
        assert_eq!(again.targets, widened.targets);
        assert!(note.contains("restates"), "{note}");
    }

    #[test]
    fn items_added_to_a_control_join_those_in_force() {
        let n50 = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN"],"license_policy":"denial"}"#;
        let n51 = n50
            .replace(r#""id":"a""#, r#""id":"b""#)
            .replace("N50", "N51");
        let (widened, _) =
            widen(&sanction(n50), day("2023-01-01"), &sanction(&n51), |_| true).unwrap();
        assert_eq!(widened.items, ["N50", "N51"]);
        assert_eq!(widened.destinations, ["CN"]);
        // All items absorbs a list.
        let all = n50.replace(r#"["N50"]"#, r#"["*"]"#);
        let (widened, _) = widen(&sanction(&all), day("2023-01-01"), &sanction(&n51), |_| {
            true
        })
        .unwrap();
        assert_eq!(widened.items, ["*"]);
    }

    #[test]
    fn an_add_differing_in_two_parts_or_in_policy_is_refused_by_name() {
        let n50 = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN"],"license_policy":"denial"}"#;
        // Both items and destinations: N50 to RU was in neither notice.
        let other = n50.replace("N50", "N51").replace("CN", "RU");
        let err = widen(&sanction(n50), day("2023-01-01"), &sanction(&other), |_| {
            true
        })
        .unwrap_err();
        assert_eq!(err.path(), "measure");
        assert!(err.to_string().contains("items and destinations"), "{err}");
        let softer = n50.replace("denial", "case_by_case");
        let err = widen(
            &sanction(n50),
            day("2023-01-01"),
            &sanction(&softer),
            |_| true,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("differs from it in license_policy"),
            "{err}"
        );
    }

    /// QA17 F1: the measure ends when its last part does, counted from
    /// when it began.
    #[test]
    fn a_widened_measure_ends_with_its_last_part() {
        let a = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN"],"license_policy":"denial","expected_duration_days":100}"#;
        // Ten days on, N51 for `days`.
        let days = |days: &str| {
            let b = a
                .replace(r#""id":"a""#, r#""id":"b""#)
                .replace("2023-01-01", "2023-01-11")
                .replace("N50", "N51")
                .replace("100", days);
            widen(&sanction(a), day("2023-01-01"), &sanction(&b), |_| true)
                .unwrap()
                .0
                .expected_duration_days
        };
        assert_eq!(days("30"), Some(100.0));
        assert_eq!(days("120"), Some(130.0));
        assert_eq!(days("null"), None);
    }

    /// QA17 F3: an add of part of what is in force, in two parts at once,
    /// adds nothing and restates it rather than being refused.
    #[test]
    fn an_add_within_the_measure_restates_it() {
        let a = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50","N51"],"destinations":["CN","MO"],"license_policy":"denial"}"#;
        let part = a
            .replace(r#""id":"a""#, r#""id":"b""#)
            .replace(r#"["N50","N51"]"#, r#"["N51"]"#)
            .replace(r#"["CN","MO"]"#, r#"["CN"]"#);
        let (widened, note) =
            widen(&sanction(a), day("2023-01-01"), &sanction(&part), |_| true).unwrap();
        assert_eq!(widened.items, ["N50", "N51"]);
        assert_eq!(widened.destinations, ["CN", "MO"]);
        assert!(note.contains("restates"), "{note}");
    }

    /// QA17 F3: a destination the map has no buyer in is no difference: an
    /// add of new items to CN after a control to CN and MO widens it.
    #[test]
    fn destinations_with_no_buyer_on_the_map_do_not_count() {
        let a = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN","MO"],"license_policy":"denial"}"#;
        let b = a
            .replace(r#""id":"a""#, r#""id":"b""#)
            .replace("N50", "N51")
            .replace(r#"["CN","MO"]"#, r#"["CN"]"#);
        let day0 = day("2023-01-01");
        assert!(widen(&sanction(a), day0, &sanction(&b), |_| true).is_err());
        let (widened, note) = widen(&sanction(a), day0, &sanction(&b), |c| c != "MO").unwrap();
        assert_eq!(widened.items, ["N50", "N51"]);
        assert!(note.contains("widens its items"), "{note}");
    }
}
