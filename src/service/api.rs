//! The admin API of live settings: `GET`/`PUT /api/v1/thresholds`,
//! `POST /api/v1/thresholds/preview` (bearer token), and `POST /-/reload`
//! (re-reads the settings files, as SIGHUP does; no token, like
//! Prometheus's: it can only apply what the files on the host say).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::http::AdminState;
use super::tuning::{TuneError, Tuning};
use crate::config::Thresholds;

pub fn routes() -> Router<AdminState> {
    Router::new()
        .route("/-/reload", post(reload))
        .route(
            "/api/v1/thresholds",
            get(get_thresholds).put(put_thresholds),
        )
        .route("/api/v1/thresholds/preview", post(preview))
}

/// Proposed thresholds: keys left out keep their current values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsPatch {
    pub watch: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub resolve_margin: Option<f64>,
}

impl ThresholdsPatch {
    pub fn over(&self, t: &Thresholds) -> Thresholds {
        Thresholds {
            watch: self.watch.unwrap_or(t.watch),
            warning: self.warning.unwrap_or(t.warning),
            critical: self.critical.unwrap_or(t.critical),
            resolve_margin: self.resolve_margin.unwrap_or(t.resolve_margin),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    watch: Option<f64>,
    warning: Option<f64>,
    critical: Option<f64>,
    resolve_margin: Option<f64>,
    reason: Option<String>,
    /// Drop the thresholds set through the API: the files' apply again.
    #[serde(default)]
    reset: bool,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn tune_error(e: TuneError) -> Response {
    let status = match e {
        TuneError::Invalid(_) => StatusCode::BAD_REQUEST,
        TuneError::Audit(_) | TuneError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, e.to_string())
}

/// The name of the caller's token, or the refusal (returned at once, so its
/// size does not matter).
#[allow(clippy::result_large_err)]
fn authorize(s: &AdminState, headers: &HeaderMap) -> Result<(String, Arc<Tuning>), Response> {
    let Some(tuning) = s.tuning.clone() else {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "live settings are not enabled",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match super::auth::caller(given, &s.tokens) {
        Ok(name) => Ok((name, tuning)),
        Err(_) => Err(super::http::refusal(headers, &s.tokens)
            .unwrap_or_else(|| error(StatusCode::UNAUTHORIZED, "refused"))),
    }
}

async fn reload(State(s): State<AdminState>) -> Response {
    let Some(tuning) = s.tuning.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "live settings are not enabled",
        );
    };
    match tuning.reload("http").await {
        Ok(hash) => Json(json!({ "status": "ok", "hash": hash })).into_response(),
        Err(e) => tune_error(e),
    }
}

async fn get_thresholds(State(s): State<AdminState>, headers: HeaderMap) -> Response {
    match authorize(&s, &headers) {
        Ok((_, tuning)) => Json(tuning.current().await).into_response(),
        Err(r) => r,
    }
}

async fn put_thresholds(
    State(s): State<AdminState>,
    headers: HeaderMap,
    body: Result<Json<PutBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let (who, tuning) = match authorize(&s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let reason = body.reason.unwrap_or_default();
    if reason.trim().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "reason: say why the thresholds change",
        );
    }
    let patch = ThresholdsPatch {
        watch: body.watch,
        warning: body.warning,
        critical: body.critical,
        resolve_margin: body.resolve_margin,
    };
    let wanted = if body.reset {
        None
    } else {
        Some(patch.over(&tuning.current().await.thresholds))
    };
    match tuning.set_thresholds(wanted, &who, reason.trim()).await {
        Ok((hash, old, new)) => {
            Json(json!({ "hash": hash, "old": old, "new": new, "who": who })).into_response()
        }
        Err(e) => tune_error(e),
    }
}

async fn preview(
    State(s): State<AdminState>,
    headers: HeaderMap,
    body: Result<Json<ThresholdsPatch>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let (_, tuning) = match authorize(&s, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Json(patch) = match body {
        Ok(b) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let mut proposed = tuning.running();
    proposed.thresholds = patch.over(&proposed.thresholds);
    if let Some(b) = proposed.broken() {
        return error(StatusCode::BAD_REQUEST, format!("{}: {}", b.key, b.message));
    }
    match tuning.preview(proposed.thresholds).await {
        Ok(p) => Json(p).into_response(),
        Err(e) => tune_error(e),
    }
}
