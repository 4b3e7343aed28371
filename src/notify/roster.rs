//! Chain chiefs on duty. A chain's roster (the map's `chains[].roster`) is a
//! list of posts, one per region, that hold the chief's post in rotation
//! (monthly, weekly or every N days from a start time), each post with an A
//! and a B role named by receiver. The shape lives here; the map keeps it
//! opaque.
//!
//! ```json
//! {"rotation": "monthly", "start": "2026-01-01T00:00:00Z",
//!  "posts": [{"region": "Beijing", "a": "bj-a", "b": "bj-b"},
//!            {"region": "Tianjin", "a": "tj-a", "b": "tj-b"}]}
//! ```

use chrono::{DateTime, Duration, Months, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RosterError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Monthly,
    Weekly,
    Days(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Post {
    pub region: String,
    /// Receiver names of the A and B roles.
    pub a: String,
    pub b: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Roster {
    pub rotation: Rotation,
    pub start: DateTime<Utc>,
    pub posts: Vec<Post>,
}

/// Who holds the post in one period of the rotation.
#[derive(Debug, Clone, PartialEq)]
pub struct Duty<'a> {
    pub period: u64,
    pub since: DateTime<Utc>,
    pub post: &'a Post,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    rotation: serde_json::Value,
    start: DateTime<Utc>,
    posts: Vec<Post>,
}

impl Roster {
    /// Reads a roster; `null` (no roster) is `None`. `path` names where it
    /// sits in the map for errors (`chains[0].roster`).
    pub fn from_value(v: &serde_json::Value, path: &str) -> Result<Option<Roster>, RosterError> {
        if v.is_null() {
            return Ok(None);
        }
        let err = |p: &str, m: String| RosterError {
            path: format!("{path}{p}"),
            message: m,
        };
        let w: Wire = serde_json::from_value(v.clone()).map_err(|e| err("", e.to_string()))?;
        let rotation = match &w.rotation {
            serde_json::Value::String(s) if s == "monthly" => Rotation::Monthly,
            serde_json::Value::String(s) if s == "weekly" => Rotation::Weekly,
            serde_json::Value::Object(o) if o.len() == 1 && o.contains_key("days") => {
                match o["days"].as_u64() {
                    Some(d) if (1..=366).contains(&d) => Rotation::Days(d as u32),
                    _ => {
                        return Err(err(
                            ".rotation.days",
                            "must be a whole number from 1 to 366".into(),
                        ))
                    }
                }
            }
            other => {
                return Err(err(
                    ".rotation",
                    format!("must be \"monthly\", \"weekly\" or {{\"days\": N}}, got {other}"),
                ))
            }
        };
        if w.posts.is_empty() {
            return Err(err(".posts", "name at least one post".into()));
        }
        for (k, p) in w.posts.iter().enumerate() {
            for (field, v) in [("region", &p.region), ("a", &p.a), ("b", &p.b)] {
                if v.trim().is_empty() {
                    return Err(err(
                        &format!(".posts[{k}].{field}"),
                        "must not be empty".into(),
                    ));
                }
            }
        }
        Ok(Some(Roster {
            rotation,
            start: w.start,
            posts: w.posts,
        }))
    }

    /// Start of period `k` of the rotation.
    pub fn period_start(&self, k: u64) -> DateTime<Utc> {
        match self.rotation {
            Rotation::Monthly => self
                .start
                .checked_add_months(Months::new(k.min(u32::MAX as u64) as u32))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Rotation::Weekly => self.start + Duration::weeks(k as i64),
            Rotation::Days(d) => self.start + Duration::days(k as i64 * d as i64),
        }
    }

    /// The period that contains `t` (the first one before the start).
    pub fn period_at(&self, t: DateTime<Utc>) -> u64 {
        if t < self.start {
            return 0;
        }
        // A first guess from the average length, then corrected: months
        // differ in length.
        let approx = match self.rotation {
            Rotation::Monthly => ((t - self.start).num_days() / 31).max(0) as u64,
            Rotation::Weekly => ((t - self.start).num_days() / 7).max(0) as u64,
            Rotation::Days(d) => ((t - self.start).num_days() / d as i64).max(0) as u64,
        };
        let mut k = approx;
        while self.period_start(k + 1) <= t {
            k += 1;
        }
        while k > 0 && self.period_start(k) > t {
            k -= 1;
        }
        k
    }

    pub fn on_duty(&self, t: DateTime<Utc>) -> Duty<'_> {
        let period = self.period_at(t);
        Duty {
            period,
            since: self.period_start(period).min(t),
            post: &self.posts[(period % self.posts.len() as u64) as usize],
        }
    }

    /// The next hand-over after `t`.
    pub fn next_handover(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        self.period_start(self.period_at(t) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn roster(rotation: serde_json::Value) -> Roster {
        Roster::from_value(
            &serde_json::json!({
                "rotation": rotation, "start": "2026-01-31T00:00:00Z",
                "posts": [{"region": "Beijing", "a": "bj-a", "b": "bj-b"},
                          {"region": "Tianjin", "a": "tj-a", "b": "tj-b"},
                          {"region": "Hebei", "a": "hb-a", "b": "hb-b"}]
            }),
            "chains[0].roster",
        )
        .unwrap()
        .unwrap()
    }

    #[test]
    fn monthly_rotation_follows_calendar_months() {
        let r = roster("monthly".into());
        let t = |m, d| Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0).unwrap();
        // Jan 31 + 1 month is Feb 28 (chrono clamps), + 2 is Mar 31.
        assert_eq!(r.on_duty(t(2, 1)).post.region, "Beijing");
        assert_eq!(r.on_duty(t(2, 28)).post.region, "Tianjin");
        assert_eq!(r.on_duty(t(3, 30)).post.region, "Tianjin");
        assert_eq!(r.on_duty(t(3, 31)).post.region, "Hebei");
        assert_eq!(r.on_duty(t(5, 1)).post.region, "Beijing", "wraps round");
        assert_eq!(
            r.next_handover(t(2, 1)),
            Utc.with_ymd_and_hms(2026, 2, 28, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn day_rotation_and_times_before_the_start() {
        let r = roster(serde_json::json!({"days": 10}));
        let start = r.start;
        assert_eq!(r.on_duty(start - Duration::days(5)).post.region, "Beijing");
        assert_eq!(r.on_duty(start + Duration::days(10)).post.region, "Tianjin");
        assert_eq!(r.on_duty(start + Duration::days(29)).period, 2);
        assert_eq!(r.on_duty(start + Duration::days(30)).post.region, "Beijing");
    }

    #[test]
    fn bad_rosters_name_the_field() {
        let bad = |v: serde_json::Value| {
            Roster::from_value(&v, "chains[2].roster")
                .unwrap_err()
                .to_string()
        };
        let e = bad(
            serde_json::json!({"rotation": "yearly", "start": "2026-01-01T00:00:00Z", "posts": []}),
        );
        assert!(e.starts_with("chains[2].roster.rotation: must be"), "{e}");
        let e = bad(
            serde_json::json!({"rotation": "weekly", "start": "2026-01-01T00:00:00Z", "posts": []}),
        );
        assert_eq!(e, "chains[2].roster.posts: name at least one post");
        let e = bad(
            serde_json::json!({"rotation": "weekly", "start": "2026-01-01T00:00:00Z",
            "posts": [{"region": "X", "a": "", "b": "y"}]}),
        );
        assert_eq!(e, "chains[2].roster.posts[0].a: must not be empty");
        assert_eq!(Roster::from_value(&serde_json::Value::Null, "x"), Ok(None));
    }
}
