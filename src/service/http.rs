//! The admin HTTP listener: `/livez`, `/readyz` and `/metrics`. Testable as
//! `serve(listener, state, shutdown)`: the caller binds the port.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use super::health::Health;
use super::metrics::Metrics;
use super::shutdown::Shutdown;

#[derive(Clone)]
pub struct AdminState {
    pub health: Health,
    pub metrics: Metrics,
}

pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
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

pub async fn serve(
    listener: TcpListener,
    state: AdminState,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
