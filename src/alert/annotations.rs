//! Alert annotations: the assessment in words, for receivers that show only
//! strings (Alertmanager annotations are string to string).

use std::collections::BTreeMap;

use crate::assess::Assessment;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Days to a tenth, without a trailing ".0" (QA: 242.5 days read "242",
/// since `{:.0}` rounds half to even).
fn days(v: Option<f64>, none: &str) -> String {
    match v {
        Some(d) => {
            let tenths = (d * 10.0).round() / 10.0;
            if tenths.fract() == 0.0 {
                format!("{tenths:.0} days")
            } else {
                format!("{tenths:.1} days")
            }
        }
        None => none.to_string(),
    }
}

pub fn annotations(a: &Assessment) -> BTreeMap<String, String> {
    let backups = if a.backups.is_empty() {
        "none found".to_string()
    } else {
        a.backups
            .iter()
            .map(|b| {
                let firm = b
                    .firm
                    .as_deref()
                    .map(|f| format!(" from {f}"))
                    .unwrap_or_default();
                format!(
                    "{} {} ({}){firm}: covers {} after {:.0} days",
                    b.grade.as_str(),
                    b.node,
                    b.node_name,
                    pct(b.coverage),
                    b.switch_days
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    BTreeMap::from([
        (
            "summary".to_string(),
            format!(
                "{} ({}): supply at {}, shortfall {}, impact in {}, recovery {}",
                a.node_name,
                a.node_id,
                pct(a.supply_ratio),
                pct(a.shortfall),
                days(a.time_to_impact_days, "n/a"),
                days(a.recovery_days, "unknown"),
            ),
        ),
        ("shortfall".to_string(), pct(a.shortfall)),
        (
            "time_to_impact".to_string(),
            days(a.time_to_impact_days, "n/a"),
        ),
        ("recovery".to_string(), days(a.recovery_days, "unknown")),
        ("drivers".to_string(), a.drivers.join(", ")),
        ("backups".to_string(), backups),
    ])
}

#[cfg(test)]
mod tests {
    use super::days;

    #[test]
    fn half_days_are_shown() {
        assert_eq!(days(Some(242.5), "n/a"), "242.5 days");
        assert_eq!(days(Some(180.0), "n/a"), "180 days");
        assert_eq!(days(Some(179.96), "n/a"), "180 days");
        assert_eq!(days(Some(0.04), "n/a"), "0 days");
        assert_eq!(days(None, "unknown"), "unknown");
    }
}
