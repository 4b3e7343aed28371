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

use super::NormaliseError;
use crate::event::{Sanction, SanctionAction, ALL_ITEMS};

/// The measure `current` widened by `add`, as the amend that states its
/// whole new form (the add's id, time, effective date and, when given,
/// expected duration), with a note for people.
pub(crate) fn widen(
    current: &Sanction,
    add: &Sanction,
) -> Result<(Sanction, String), NormaliseError> {
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
    if !same_set(&current.destinations, &add.destinations) {
        differs.push("destinations");
    }
    let widens = match differs.as_slice() {
        [] => None,
        [part @ ("targets" | "items" | "destinations")] => Some(*part),
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
    widened.expected_duration_days = add
        .expected_duration_days
        .or(current.expected_duration_days);
    let grows = !(same_set(&widened.targets, &current.targets)
        && same_items(&widened.items, &current.items)
        && same_set(&widened.destinations, &current.destinations));
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

fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
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
        let (widened, note) = widen(&sanction(HISILICON), &sanction(SMEE)).unwrap();
        let names: Vec<_> = widened.targets.iter().map(|t| t.name.as_deref()).collect();
        assert_eq!(names, [Some("HiSilicon"), Some("SMEE")]);
        assert_eq!(widened.items, ["*"]);
        assert_eq!(widened.action, SanctionAction::Amend);
        assert_eq!(widened.id, "el-2022");
        assert_eq!(widened.expected_duration_days, Some(30.0));
        assert!(note.contains("widens its targets"), "{note}");
        // An add of what is in force already restates it.
        let (again, note) = widen(&widened, &sanction(SMEE)).unwrap();
        assert_eq!(again.targets, widened.targets);
        assert!(note.contains("restates"), "{note}");
    }

    #[test]
    fn items_added_to_a_control_join_those_in_force() {
        let n50 = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN"],"license_policy":"denial"}"#;
        let n51 = n50
            .replace(r#""id":"a""#, r#""id":"b""#)
            .replace("N50", "N51");
        let (widened, _) = widen(&sanction(n50), &sanction(&n51)).unwrap();
        assert_eq!(widened.items, ["N50", "N51"]);
        assert_eq!(widened.destinations, ["CN"]);
        // All items absorbs a list.
        let all = n50.replace(r#"["N50"]"#, r#"["*"]"#);
        let (widened, _) = widen(&sanction(&all), &sanction(&n51)).unwrap();
        assert_eq!(widened.items, ["*"]);
    }

    #[test]
    fn an_add_differing_in_two_parts_or_in_policy_is_refused_by_name() {
        let n50 = r#"{"id":"a","type":"sanction","ts":"2023-01-01T00:00:00Z","measure":"m","action":"add","issuer_jurisdiction":"US","items":["N50"],"destinations":["CN"],"license_policy":"denial"}"#;
        // Both items and destinations: N50 to RU was in neither notice.
        let other = n50.replace("N50", "N51").replace("CN", "RU");
        let err = widen(&sanction(n50), &sanction(&other)).unwrap_err();
        assert_eq!(err.path(), "measure");
        assert!(err.to_string().contains("items and destinations"), "{err}");
        let softer = n50.replace("denial", "case_by_case");
        let err = widen(&sanction(n50), &sanction(&softer)).unwrap_err();
        assert!(
            err.to_string()
                .contains("differs from it in license_policy"),
            "{err}"
        );
    }
}
