//! The duty desk: which receiver must be told what, and when. A pure fold
//! over three inputs — alert state changes (the alerts topic), what has
//! been delivered (the audit topic) and acknowledgements (the audit topic) —
//! and the clock. Deliveries are *planned* from the state and the time, and
//! each planned delivery has a deterministic id (the `webhook-id`); what is
//! due is what is planned minus what was already sent. So a desk rebuilt
//! after a crash from the same topics plans the same ids and sends only what
//! is missing, with the ids the receivers have already seen.
//!
//! The plan for one alert (fingerprint and start):
//! * `new` to A of the post on duty at the alert's start (and to B at once
//!   when the alert is critical and `critical_to_both` is set);
//! * `handover` to A (and B, likewise) of the post on duty now, or at the
//!   resolution, if the rotation moved on since the start;
//! * `escalation` to B of the post last told, once the acknowledgement time
//!   has passed since it was told without an acknowledgement;
//! * `resolved` to every receiver of the above, once it resolves.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::payload::{webhook_body, Context, Purpose};
use super::roster::{Duty, Roster};

#[derive(Debug, Clone, PartialEq)]
pub struct DeskConfig {
    /// How long A has to acknowledge before B is told.
    pub ack_timeout: Duration,
    /// Critical alerts go to A and B at once.
    pub critical_to_both: bool,
    /// Base of the generator URLs.
    pub external_url: String,
}

/// One webhook to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The `webhook-id`: the same for every attempt and after restarts.
    pub id: String,
    pub receiver: String,
    pub purpose: Purpose,
    pub fingerprint: String,
    pub chain: String,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub by: String,
    pub at: DateTime<Utc>,
    /// Region of the post on duty when it was acknowledged.
    pub post: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeskError {
    #[error("no open alert has fingerprint {0:?}")]
    NotOpen(String),
    #[error("alert record is malformed: {0}")]
    Malformed(String),
}

#[derive(Debug, Clone)]
struct Instance {
    chain: String,
    critical: bool,
    /// When chainwatch raised it (the alert record's time): the clock of
    /// duty, escalation and resolution. `startsAt` is event time, which may
    /// lie far in the past.
    raised: DateTime<Utc>,
    firing: Value,
    resolved: Option<(DateTime<Utc>, Value)>,
}

/// What a planned delivery is made of, before its body.
struct Step<'a> {
    purpose: Purpose,
    period: u64,
    receiver: &'a str,
    region: &'a str,
    role: &'a str,
}

#[derive(Debug, Clone)]
pub struct Desk {
    config: DeskConfig,
    rosters: BTreeMap<String, Roster>,
    alerts: BTreeMap<(String, DateTime<Utc>), Instance>,
    acks: HashMap<(String, DateTime<Utc>), Ack>,
    /// Sent, whether still in flight or finished.
    sent: HashSet<String>,
    /// Finished: delivered or dead-lettered.
    done: HashSet<String>,
}

fn parse_time(v: &Value, field: &str) -> Result<DateTime<Utc>, DeskError> {
    v[field]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| DeskError::Malformed(format!("{field}: not an RFC 3339 time")))
}

impl Desk {
    pub fn new(config: DeskConfig, rosters: BTreeMap<String, Roster>) -> Desk {
        Desk {
            config,
            rosters,
            alerts: BTreeMap::new(),
            acks: HashMap::new(),
            sent: HashSet::new(),
            done: HashSet::new(),
        }
    }

    pub fn config(&self) -> &DeskConfig {
        &self.config
    }

    /// Takes an alert state change (the JSON the alerts topic carries),
    /// raised by chainwatch at `raised` (its record's timestamp).
    pub fn on_change(&mut self, change: &Value, raised: DateTime<Utc>) -> Result<(), DeskError> {
        let fp = change["fingerprint"]
            .as_str()
            .ok_or_else(|| DeskError::Malformed("fingerprint: missing".into()))?
            .to_string();
        let starts = parse_time(change, "startsAt")?;
        let chain = change["labels"]["chain"].as_str().unwrap_or("").to_string();
        match change["status"].as_str() {
            Some("firing") => {
                self.alerts.entry((fp, starts)).or_insert(Instance {
                    critical: change["labels"]["severity"] == "critical",
                    chain,
                    raised,
                    firing: change.clone(),
                    resolved: None,
                });
            }
            Some("resolved") => {
                if let Some(i) = self.alerts.get_mut(&(fp, starts)) {
                    i.resolved
                        .get_or_insert((raised.max(i.raised), change.clone()));
                }
            }
            other => return Err(DeskError::Malformed(format!("status: {other:?}"))),
        }
        Ok(())
    }

    /// Records an acknowledgement of the open alert with fingerprint `fp`.
    pub fn acknowledge(
        &mut self,
        fp: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, Ack), DeskError> {
        let Some(((_, starts), inst)) = self
            .alerts
            .iter()
            .filter(|((f, _), i)| f == fp && i.resolved.is_none())
            .max_by_key(|((_, s), _)| *s)
        else {
            return Err(DeskError::NotOpen(fp.to_string()));
        };
        let post = self
            .rosters
            .get(&inst.chain)
            .map(|r| r.on_duty(now).post.region.clone());
        let ack = Ack {
            by: by.to_string(),
            at: now,
            post,
        };
        let starts = *starts;
        self.record_ack(fp, starts, ack.clone());
        Ok((starts, ack))
    }

    /// An acknowledgement read back from the audit topic (the first one counts).
    pub fn record_ack(&mut self, fp: &str, starts: DateTime<Utc>, ack: Ack) {
        self.acks.entry((fp.to_string(), starts)).or_insert(ack);
    }

    /// A delivery finished (delivered or dead-lettered), here or before a restart.
    pub fn record_done(&mut self, id: &str) {
        self.sent.insert(id.to_string());
        self.done.insert(id.to_string());
    }

    /// Deliveries due at `now` that were not sent yet; they count as sent.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Delivery> {
        let mut out = Vec::new();
        let mut finished = Vec::new();
        for (key, inst) in &self.alerts {
            let planned = self.plan(key, inst, now);
            if inst.resolved.as_ref().is_some_and(|(e, _)| *e <= now)
                && planned.iter().all(|d| self.done.contains(&d.id))
            {
                finished.push(key.clone());
            }
            out.extend(planned.into_iter().filter(|d| !self.sent.contains(&d.id)));
        }
        for d in &out {
            self.sent.insert(d.id.clone());
        }
        // A resolved alert whose every delivery finished needs no more care.
        for key in finished {
            self.alerts.remove(&key);
        }
        out
    }

    /// The next time something becomes due without any new input.
    pub fn next_deadline(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut next: Option<DateTime<Utc>> = None;
        let mut consider = |t: DateTime<Utc>| {
            if t > now {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for (key, inst) in &self.alerts {
            if let Some((e, _)) = &inst.resolved {
                consider(*e);
                continue;
            }
            let Some(roster) = self.rosters.get(&inst.chain) else {
                continue;
            };
            consider(roster.next_handover(now));
            let told = roster.on_duty(now).since.max(inst.raised);
            if !self.acks.contains_key(key) && !self.both(inst) {
                consider(told + self.config.ack_timeout);
            }
        }
        next
    }

    /// Open alerts: the firing change of each.
    pub fn firing(&self) -> impl Iterator<Item = &Value> {
        self.alerts
            .values()
            .filter(|i| i.resolved.is_none())
            .map(|i| &i.firing)
    }

    /// Alerts resolved at or after `since`: their resolving change.
    pub fn resolved_since(&self, since: DateTime<Utc>) -> impl Iterator<Item = &Value> {
        self.alerts.values().filter_map(move |i| {
            i.resolved
                .as_ref()
                .filter(|(e, _)| *e >= since)
                .map(|(_, v)| v)
        })
    }

    /// The chain of the open alert with fingerprint `fp`.
    pub fn chain_of(&self, fp: &str) -> Option<String> {
        self.alerts
            .iter()
            .find(|((f, _), i)| f == fp && i.resolved.is_none())
            .map(|(_, i)| i.chain.clone())
    }

    /// The assessment behind the latest alert of a node in a chain.
    pub fn assessment(&self, chain: &str, node: &str) -> Option<&Value> {
        self.alerts
            .values()
            .filter(|i| i.chain == chain && i.firing["labels"]["node"] == node)
            .max_by_key(|i| i.raised)
            .map(|i| match &i.resolved {
                Some((_, r)) => &r["assessment"],
                None => &i.firing["assessment"],
            })
    }

    pub fn open_count(&self) -> usize {
        self.alerts
            .values()
            .filter(|i| i.resolved.is_none())
            .count()
    }

    fn both(&self, inst: &Instance) -> bool {
        inst.critical && self.config.critical_to_both
    }

    fn plan(
        &self,
        key: &(String, DateTime<Utc>),
        inst: &Instance,
        now: DateTime<Utc>,
    ) -> Vec<Delivery> {
        let Some(roster) = self.rosters.get(&inst.chain) else {
            return Vec::new();
        };
        let end = inst.resolved.as_ref().map_or(now, |(e, _)| (*e).min(now));
        let both = self.both(inst);
        let mut steps: Vec<Step<'_>> = Vec::new();
        let first = roster.on_duty(inst.raised);
        tell(&mut steps, Purpose::New, &first, both);
        let mut told = (first.clone(), inst.raised);
        let last = roster.on_duty(end);
        if last.period != first.period {
            tell(&mut steps, Purpose::Handover, &last, both);
            told = (last.clone(), last.since);
        }
        let ack = self.acks.get(key);
        let due = told.1 + self.config.ack_timeout;
        if !both && due <= end && ack.is_none_or(|a| a.at > due) {
            steps.push(Step {
                purpose: Purpose::Escalation,
                period: told.0.period,
                receiver: &told.0.post.b,
                region: &told.0.post.region,
                role: "B",
            });
        }
        let resolved = inst.resolved.as_ref().filter(|(e, _)| *e <= now);
        let mut out: Vec<Delivery> = Vec::new();
        for s in &steps {
            out.push(self.delivery(key, inst, s, &inst.firing, ack));
        }
        if let Some((_, change)) = resolved {
            let mut seen = HashSet::new();
            for s in &steps {
                if seen.insert(s.receiver) {
                    let r = Step {
                        purpose: Purpose::Resolved,
                        period: 0,
                        ..*s
                    };
                    out.push(self.delivery(key, inst, &r, change, ack));
                }
            }
        }
        out
    }

    fn delivery(
        &self,
        key: &(String, DateTime<Utc>),
        inst: &Instance,
        s: &Step<'_>,
        change: &Value,
        ack: Option<&Ack>,
    ) -> Delivery {
        let id = webhook_id(&key.0, key.1, s.purpose, s.period, s.receiver);
        let body = webhook_body(
            change,
            &self.config.external_url,
            &Context {
                receiver: s.receiver,
                purpose: s.purpose,
                region: s.region,
                role: s.role,
                acknowledged_by: ack.map(|a| a.by.as_str()),
            },
        );
        Delivery {
            id,
            receiver: s.receiver.to_string(),
            purpose: s.purpose,
            fingerprint: key.0.clone(),
            chain: inst.chain.clone(),
            body,
        }
    }
}

/// Tells A of the post on `duty`, and B as well when `both`.
fn tell<'a>(steps: &mut Vec<Step<'a>>, purpose: Purpose, duty: &Duty<'a>, both: bool) {
    let post = duty.post;
    steps.push(Step {
        purpose,
        period: duty.period,
        receiver: &post.a,
        region: &post.region,
        role: "A",
    });
    if both {
        steps.push(Step {
            purpose,
            period: duty.period,
            receiver: &post.b,
            region: &post.region,
            role: "B",
        });
    }
}

/// `msg_` + 32 hex digits of SHA-256 over what makes the delivery unique.
pub fn webhook_id(
    fp: &str,
    starts: DateTime<Utc>,
    purpose: Purpose,
    period: u64,
    receiver: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        fp,
        &starts.timestamp_millis().to_string(),
        purpose.as_str(),
        &period.to_string(),
        receiver,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}
