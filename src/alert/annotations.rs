//! Alert annotations: the assessment in words, for receivers that show only
//! strings (Alertmanager annotations are string to string).

use std::collections::BTreeMap;

use crate::assess::Assessment;

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn days(v: Option<f64>, none: &str) -> String {
    match v {
        Some(d) => format!("{d:.0} days"),
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
