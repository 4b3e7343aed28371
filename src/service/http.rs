//! The admin HTTP listener: `/livez`, `/readyz`, `/metrics`, the live
//! settings API of [`super::api`], and the notify role's API:
//! `POST /api/v1/alerts/{fingerprint}/ack` (bearer token) and
//! `GET /api/v1/assessments/{chain}/{node}` (the generator URL of alerts).
//! Testable as `serve(listener, state, shutdown)`: the caller binds the port.

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::auth::Tokens;
use super::health::Health;
use super::metrics::Metrics;
use super::notify::desk_loop::Input;
use super::notify::NotifyHandle;
use super::shutdown::Shutdown;

#[derive(Clone)]
pub struct AdminState {
    pub health: Health,
    pub metrics: Metrics,
    /// Set once the notify role runs in this process.
    pub notify: Arc<OnceLock<NotifyHandle>>,
    /// Live settings (none: the settings API answers 503).
    pub tuning: Option<Arc<super::tuning::Tuning>>,
    /// Bearer tokens of every admin endpoint that changes something.
    pub tokens: Tokens,
}

pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/alerts/{fingerprint}/ack", post(acknowledge))
        .route("/api/v1/assessments/{chain}/{node}", get(assessment))
        .merge(super::api::routes())
        .with_state(state)
}

async fn readyz(State(s): State<AdminState>) -> impl IntoResponse {
    let waiting = s.health.waiting();
    if waiting.is_empty() {
        (StatusCode::OK, "ready\n".to_string())
    } else {
        let names: Vec<&str> = waiting.iter().map(|r| r.as_str()).collect();
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", names.join(", ")),
        )
    }
}

/// The text exposition format 0.0.4 with its full content type (the
/// prometheus crate's constant leaves out the charset).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

async fn metrics(State(s): State<AdminState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], s.metrics.render())
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Why the request may not proceed, unless it carries a known bearer token;
/// `None` lets it through.
pub fn refusal(headers: &HeaderMap, tokens: &Tokens) -> Option<Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match super::auth::caller(given, tokens) {
        Ok(_) => None,
        Err(r @ super::auth::Refused::Disabled) => {
            Some(problem(StatusCode::SERVICE_UNAVAILABLE, r.message()))
        }
        Err(r) => Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(serde_json::json!({ "error": r.message() })),
            )
                .into_response(),
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckBody {
    /// Who acknowledges (a name, as the chief signs).
    by: String,
}

async fn acknowledge(
    State(s): State<AdminState>,
    Path(fingerprint): Path<String>,
    headers: HeaderMap,
    body: Option<Json<AckBody>>,
) -> Response {
    let Some(notify) = s.notify.get() else {
        return problem(
            StatusCode::NOT_FOUND,
            "the notify role does not run in this process",
        );
    };
    if let Some(r) = refusal(&headers, &s.tokens) {
        return r;
    }
    let by = match body {
        Some(Json(b)) if !b.by.trim().is_empty() => b.by,
        _ => {
            return problem(
                StatusCode::BAD_REQUEST,
                "body must be {\"by\": \"who acknowledges\"}",
            )
        }
    };
    let (tx, rx) = oneshot::channel();
    let _ = notify.desk.send(Input::Ack {
        fingerprint,
        by,
        reply: tx,
    });
    let record = match rx.await {
        Ok(Ok(record)) => record,
        Ok(Err(e)) => return problem(StatusCode::NOT_FOUND, e.to_string()),
        Err(_) => return problem(StatusCode::SERVICE_UNAVAILABLE, "shutting down"),
    };
    // Answer only once the acknowledgement is on the audit topic.
    let (tx, rx) = oneshot::channel();
    notify.audit.send(record, Some(tx));
    match rx.await {
        Ok(durable) => (StatusCode::OK, Json(durable)).into_response(),
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down before the audit record was written",
        ),
    }
}

async fn assessment(
    State(s): State<AdminState>,
    Path((chain, node)): Path<(String, String)>,
) -> Response {
    let Some(notify) = s.notify.get() else {
        return problem(
            StatusCode::NOT_FOUND,
            "the notify role does not run in this process",
        );
    };
    let (tx, rx) = oneshot::channel();
    let _ = notify.desk.send(Input::Assessment {
        chain: chain.clone(),
        node: node.clone(),
        reply: tx,
    });
    match rx.await {
        Ok(Some(a)) => (StatusCode::OK, Json(a)).into_response(),
        _ => problem(
            StatusCode::NOT_FOUND,
            format!("no alert of {chain}/{node} is known here"),
        ),
    }
}

pub async fn serve(
    listener: TcpListener,
    state: AdminState,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
