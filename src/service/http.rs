//! The admin HTTP listener: `/livez`, `/readyz` and `/metrics`, and the live
//! settings API of [`super::api`]. Testable as `serve(listener, state,
//! shutdown)`: the caller binds the port.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use std::sync::Arc;

use super::auth::Tokens;
use super::health::Health;
use super::metrics::Metrics;
use super::shutdown::Shutdown;

#[derive(Clone)]
pub struct AdminState {
    pub health: Health,
    pub metrics: Metrics,
    /// Live settings (none: the settings API answers 503).
    pub tuning: Option<Arc<super::tuning::Tuning>>,
    pub tokens: Tokens,
}

pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
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

async fn metrics(State(s): State<AdminState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        s.metrics.render(),
    )
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
