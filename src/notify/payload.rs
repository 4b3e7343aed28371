//! What receivers get. Webhooks carry the Alertmanager v4 webhook JSON, so
//! existing receivers (DingTalk, WeCom and Feishu adapters, PagerDuty
//! bridges) take it unchanged; chainwatch's own context (why this receiver,
//! which post and role, who acknowledged) rides in `commonAnnotations`.
//! Alertmanager's own API gets its alert objects.

use serde_json::{json, Map, Value};

/// Why a receiver is told.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A new firing alert, to the post on duty.
    New,
    /// A was silent past the acknowledgement time: B is told.
    Escalation,
    /// The post rotated while the alert was open: the incoming post is told.
    Handover,
    /// The alert cleared: everyone told of it is told.
    Resolved,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::New => "new",
            Purpose::Escalation => "escalation",
            Purpose::Handover => "handover",
            Purpose::Resolved => "resolved",
        }
    }
}

/// Context of one webhook delivery, added to `commonAnnotations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Context<'a> {
    pub receiver: &'a str,
    pub purpose: Purpose,
    pub region: &'a str,
    pub role: &'a str,
    pub acknowledged_by: Option<&'a str>,
}

/// The generator URL of an alert: the service's assessment of that node.
pub fn generator_url(external_url: &str, chain: &str, node: &str) -> String {
    format!(
        "{}/api/v1/assessments/{chain}/{node}",
        external_url.trim_end_matches('/')
    )
}

/// One alert as Alertmanager's webhook and API carry it.
fn alert_object(change: &Value, status: &str, external_url: &str) -> Value {
    let labels = &change["labels"];
    json!({
        "status": status,
        "labels": labels,
        "annotations": change["annotations"],
        "startsAt": change["startsAt"],
        "endsAt": change["endsAt"],
        "generatorURL": generator_url(
            external_url,
            labels["chain"].as_str().unwrap_or(""),
            labels["node"].as_str().unwrap_or(""),
        ),
        "fingerprint": change["fingerprint"],
    })
}

/// The Alertmanager v4 webhook body for one alert state change.
pub fn webhook_body(change: &Value, external_url: &str, ctx: &Context<'_>) -> Value {
    let status = if ctx.purpose == Purpose::Resolved {
        "resolved"
    } else {
        "firing"
    };
    let labels = change["labels"].clone();
    let group: Map<String, Value> = ["alertname", "chain", "node"]
        .iter()
        .filter_map(|k| labels.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    let mut common = change["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    common.insert("chainwatch_purpose".into(), ctx.purpose.as_str().into());
    common.insert("chainwatch_post".into(), ctx.region.into());
    common.insert("chainwatch_role".into(), ctx.role.into());
    if let Some(by) = ctx.acknowledged_by {
        common.insert("chainwatch_acknowledged_by".into(), by.into());
    }
    json!({
        "version": "4",
        "groupKey": format!(
            "{{}}:{{alertname=\"{}\", chain=\"{}\", node=\"{}\"}}",
            labels["alertname"].as_str().unwrap_or(""),
            labels["chain"].as_str().unwrap_or(""),
            labels["node"].as_str().unwrap_or("")
        ),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": ctx.receiver,
        "groupLabels": group,
        "commonLabels": labels,
        "commonAnnotations": common,
        "externalURL": external_url,
        "alerts": [alert_object(change, status, external_url)],
    })
}

/// The body of a POST to Alertmanager's `/api/v2/alerts` for alerts with
/// their `endsAt` set by the caller (ahead while firing, the resolution
/// time once resolved).
pub fn alertmanager_alert(change: &Value, ends_at: &str, external_url: &str) -> Value {
    let labels = &change["labels"];
    json!({
        "labels": labels,
        "annotations": change["annotations"],
        "startsAt": change["startsAt"],
        "endsAt": ends_at,
        "generatorURL": generator_url(
            external_url,
            labels["chain"].as_str().unwrap_or(""),
            labels["node"].as_str().unwrap_or(""),
        ),
    })
}
