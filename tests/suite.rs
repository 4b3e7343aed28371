//! Every integration test in one binary, each file a module of its own
//! concept. One test binary links librdkafka and the crate once instead of
//! once per file: about 550 MB less build output (the test build once filled
//! a CI disk) and less linking. `cargo nextest run -E 'test(/^backtest::/)'`
//! runs one file's tests.

mod common;
#[path = "streaming/harness.rs"]
mod harness;
#[path = "streaming/receiver.rs"]
mod receiver;

#[path = "backtest.rs"]
mod backtest;
#[path = "cli.rs"]
mod cli;
#[path = "engine_props.rs"]
mod engine_props;
#[path = "engine_rules.rs"]
mod engine_rules;
#[path = "engine_scale.rs"]
mod engine_scale;
#[path = "events.rs"]
mod events;
#[path = "lag.rs"]
mod lag;
#[path = "live_settings.rs"]
mod live_settings;
#[path = "map_validation.rs"]
mod map_validation;
#[path = "monitor.rs"]
mod monitor;
#[path = "monitoring.rs"]
mod monitoring;
#[path = "notify.rs"]
mod notify;
#[path = "notify_timing.rs"]
mod notify_timing;
#[path = "open_alerts.rs"]
mod open_alerts;
#[path = "schema.rs"]
mod schema;
#[path = "service_config.rs"]
mod service_config;
#[path = "streaming.rs"]
mod streaming;
#[path = "tuning_service.rs"]
mod tuning_service;
