//! The service settings the repository ships (the documented defaults, the
//! local Tansu profile, the Kubernetes ConfigMap) load and validate, and
//! the documented defaults are the code's defaults.

use std::path::Path;

use chainwatch::service::config::{Overrides, RawServiceConfig};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn shipped_service_files_are_valid() {
    for file in ["config/service.toml", "config/local.toml"] {
        let path = root().join(file);
        let raw = RawServiceConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let c = raw
            .validate(Overrides::default(), file)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.map.exists(), "{file}: map {} missing", c.map.display());
    }
}

#[test]
fn documented_defaults_are_the_code_defaults() {
    let documented = RawServiceConfig::load(&root().join("config/service.toml"))
        .unwrap()
        .validate(Overrides::default(), "service.toml")
        .unwrap();
    let built_in = RawServiceConfig::default()
        .validate(Overrides::default(), "defaults")
        .unwrap();
    assert_eq!(documented.topics, built_in.topics);
    assert_eq!(documented.roles, built_in.roles);
    assert_eq!(documented.admin_addr, built_in.admin_addr);
    assert_eq!(documented.shutdown_timeout, built_in.shutdown_timeout);
    assert_eq!(documented.max_event_bytes, built_in.max_event_bytes);
    assert_eq!(documented.metrics, built_in.metrics);
    let (d, b) = (&documented.kafka, &built_in.kafka);
    assert_eq!(
        (
            d.partitions,
            d.replication_factor,
            d.session_timeout,
            d.heartbeat_interval
        ),
        (
            b.partitions,
            b.replication_factor,
            b.session_timeout,
            b.heartbeat_interval
        )
    );
    assert_eq!(
        (d.max_poll_interval, d.max_backoff),
        (b.max_poll_interval, b.max_backoff)
    );
    assert_eq!((&d.brokers, &d.group_prefix), (&b.brokers, &b.group_prefix));
}

#[test]
fn the_kubernetes_config_map_holds_valid_settings() {
    let manifest = std::fs::read_to_string(root().join("deploy/k8s/chainwatch.yaml")).unwrap();
    let start = manifest
        .find("service.toml: |")
        .expect("a service.toml entry");
    let body: String = manifest[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    let c = RawServiceConfig::from_toml(&body, "deploy/k8s/chainwatch.yaml")
        .unwrap_or_else(|e| panic!("{e}"))
        .validate(Overrides::default(), "k8s")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.kafka.replication_factor, 3);
    assert_eq!(c.admin_addr.port(), 9464);
}
