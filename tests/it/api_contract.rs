//! The OpenAPI document tells the truth: schemathesis (the version `scripts/bootstrap.sh
//! --api-check` pins) generates calls of every operation from the document, valid and not,
//! against a live server with a real credential, and every one of its checks must pass.

use crate::support::api::api;
use crate::support::receiver::TestReceiver;
use std::path::PathBuf;

/// The schemathesis command: `SCHEMATHESIS` when set, else the one the bootstrap installs.
fn schemathesis() -> PathBuf {
    std::env::var_os("SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/schemathesis/bin/st")
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_the_document_true_for_every_operation() {
    let command = schemathesis();
    assert!(
        command.exists(),
        "{} is missing: run scripts/bootstrap.sh --api-check",
        command.display()
    );
    let api = api().await;
    let (api_key, token) = api
        .new_credential(
            "Contract check",
            &["execute", "read", "write", "audit", "admin"],
            "never",
        )
        .await;
    // Something to find: a webhook, a live campaign, and its deliveries.
    let receiver = TestReceiver::start().await;
    let campaign = api.live_campaign_to(&receiver, &["sent"]).await;
    let accepted = api
        .execute(&crate::support::api::one_recipient_call(
            &campaign,
            "contract-1",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    crate::support::api::wait_for(&receiver, 1).await;

    let document = api.app.url("/api/openapi.json");
    let base = api.app.url("");
    let args: Vec<String> = [
        "--config-file",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml"),
        "run",
        &document,
        "--url",
        base.trim_end_matches('/'),
        "--checks",
        "all",
        "--max-examples",
        "100",
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--header",
        &format!("x-api-key: {api_key}"),
        "--header",
        &format!("Authorization: Bearer {token}"),
        "--header",
        "x-gw-ims-org-id: default-org",
        "--header",
        "x-sandbox-name: prod",
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    let output = tokio::task::spawn_blocking(move || {
        // In a folder of its own: it keeps a cache where it runs.
        let scratch = tempfile::tempdir().unwrap();
        std::process::Command::new(&command)
            .current_dir(scratch.path())
            .args(&args)
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}"
    );
    // Every operation the document lists was tried.
    let listed: usize = reqwest::get(&document)
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert!(listed >= 13, "{listed}");
    assert!(
        report.contains(&format!("Tested: {listed}")),
        "schemathesis did not try every operation:\n{report}"
    );
}
