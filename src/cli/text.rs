//! Alert state changes written for people: one line for the alert, one for
//! its backups, one for what was rejected and why. Works on the JSON form,
//! so `replay` and `tail` (which reads it back off Kafka) print alike.

use serde_json::Value;

pub fn change(c: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let a = &c["assessment"];
    let firing = c["status"] == "firing";
    let (status, at) = if firing {
        ("FIRING  ", s(&c["startsAt"]))
    } else {
        ("RESOLVED", s(&c["endsAt"]))
    };
    let mut out = format!(
        "{at} {status} {:<8} {}/{} {}\n    {}",
        s(&c["labels"]["severity"]),
        s(&c["labels"]["chain"]),
        s(&c["labels"]["node"]),
        s(&a["node_name"]),
        s(&c["annotations"]["summary"]),
    );
    if firing {
        let drivers: Vec<String> = a["drivers"]
            .as_array()
            .map(|d| d.iter().map(s).collect())
            .unwrap_or_default();
        out.push_str(&format!("\n    drivers: {}", drivers.join(", ")));
        out.push_str(&format!(
            "\n    backups: {}",
            s(&c["annotations"]["backups"])
        ));
        for r in a["rejected_backups"].as_array().into_iter().flatten() {
            let firm = r["firm"]
                .as_str()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "\n    rejected: {} {} ({}){firm}: {}",
                s(&r["grade"]),
                s(&r["node"]),
                s(&r["node_name"]),
                s(&r["reason"])
            ));
        }
    }
    out
}
