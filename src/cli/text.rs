//! Alert state changes written for people: one line for the alert, one for
//! its backups, one for what was rejected and why.

use chainwatch::alert::{AlertChange, Status};

pub fn change(c: &AlertChange) -> String {
    let a = &c.assessment;
    let status = match c.status {
        Status::Firing => "FIRING  ",
        Status::Resolved => "RESOLVED",
    };
    let at = match c.status {
        Status::Firing => &c.starts_at,
        Status::Resolved => &c.ends_at,
    };
    let mut out = format!(
        "{at} {status} {:<8} {}/{} {}\n    {}",
        c.labels["severity"],
        c.labels["chain"],
        c.labels["node"],
        a.node_name,
        c.annotations["summary"],
    );
    if c.status == Status::Firing {
        out.push_str(&format!("\n    drivers: {}", a.drivers.join(", ")));
        out.push_str(&format!("\n    backups: {}", c.annotations["backups"]));
        for r in &a.rejected_backups {
            let firm = r
                .firm
                .as_deref()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "\n    rejected: {} {} ({}){firm}: {}",
                r.grade.as_str(),
                r.node,
                r.node_name,
                r.reason
            ));
        }
    }
    out
}
