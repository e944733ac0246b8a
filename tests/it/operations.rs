//! Running it unattended: the `backup` command copies a SQLite database while the server takes
//! calls, and the copy restores to a working server holding every acknowledged event.

use crate::support::api::*;
use crate::support::receiver::TestReceiver;
use crate::support::*;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs `feedback-webhooks backup` (the binary, as an operator would) and returns its output.
async fn run_backup(database_url: &str, to: &std::path::Path) -> std::process::Output {
    let (url, to) = (database_url.to_string(), to.to_path_buf());
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_feedback-webhooks"))
            .args(["backup", "--database-url", &url, "--to"])
            .arg(&to)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the server binary runs")
    })
    .await
    .unwrap()
}

/// Every requestId among the deliveries the REST API lists, page after page.
async fn listed_request_ids(api: &Api) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut path = "/api/v1/deliveries?limit=100".to_string();
    loop {
        let response = api.rest(reqwest::Method::GET, &path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let page: Value = response.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            ids.insert(item["requestId"].as_str().unwrap().to_string());
        }
        match page["nextBefore"].as_str() {
            Some(cursor) => path = format!("/api/v1/deliveries?limit=100&before={cursor}"),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_with_every_acknowledged_event() {
    let api = Arc::new(api().await);
    let receiver = TestReceiver::start().await;
    let campaign = api.live_campaign_to(&receiver, &["sent"]).await;
    let database_url = std::fs::read_to_string(api.app.dir.path().join("database-url")).unwrap();
    let backups = tempfile::tempdir().unwrap();
    let copy = backups.path().join("backup.db");

    if crate::support::database::is_postgres() {
        // PostgreSQL has its own tools; the command says which and writes nothing.
        let output = run_backup(&database_url, &copy).await;
        assert!(!output.status.success());
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("pg_dump"), "{said}");
        assert!(!copy.exists());
        return;
    }

    // Calls keep coming while the backup runs: each acknowledged one is noted with its time.
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let callers: Vec<_> = (0..4)
        .map(|caller| {
            let (api, campaign) = (api.clone(), campaign.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let request_id = format!("load-{caller}-{n}");
                    n += 1;
                    let response = api
                        .execute(&one_recipient_call(&campaign, &request_id))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 202);
                    acknowledged
                        .lock()
                        .unwrap()
                        .push((request_id, Instant::now()));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 100 {
        assert!(Instant::now() < deadline, "the calls are answered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backup_started = Instant::now();
    let output = run_backup(&database_url, &copy).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("The encryption key is not in it"), "{said}");
    // More calls after the copy, then the load stops.
    let after = acknowledged.lock().unwrap().len() + 20;
    while acknowledged.lock().unwrap().len() < after {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for caller in callers {
        caller.await.unwrap();
    }
    let before_backup: Vec<String> = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < backup_started)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(before_backup.len() >= 100);

    // A second backup to the same file is refused: nothing is overwritten.
    let again = run_backup(&database_url, &copy).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // Restored as the README says: the copy as the database file, the key file beside it.
    let restored_dir = tempfile::tempdir().unwrap();
    let restored_file = restored_dir.path().join("test.db");
    std::fs::copy(&copy, &restored_file).unwrap();
    std::fs::copy(
        api.app.dir.path().join("encryption.key"),
        restored_dir.path().join("encryption.key"),
    )
    .unwrap();
    std::fs::write(
        restored_dir.path().join("database-url"),
        format!("sqlite://{}", restored_file.display()),
    )
    .unwrap();
    let restored = Api {
        app: TestApp::with_admin_in(restored_dir, &[]).await,
        api_key: api.api_key.clone(),
        token: api.token.clone(),
    };
    let listed = listed_request_ids(&restored).await;
    let missing: Vec<&String> = before_backup
        .iter()
        .filter(|id| !listed.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing from it: {missing:?}"
    );

    // The restored server works: the same credential's call is accepted and delivered.
    let response = restored
        .execute(&one_recipient_call(&campaign, "after-restore"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !arrived_statuses(&receiver)
        .iter()
        .any(|(id, _)| id == "after-restore")
    {
        assert!(Instant::now() < deadline, "the restored server delivers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A free port on loopback for a server process to listen on.
fn free_port() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
}

/// `--log-format json` writes one JSON object a line; a delivery's lines name its webhook,
/// delivery and attempt; and no secret, token, header value, password or payload content is
/// written, even with every debug line of every library on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_each_delivery_and_never_a_secret() {
    let api = api().await;
    let receiver = TestReceiver::start().await;
    let state = api.app.server.state.clone();
    let hook = stored_webhook(&state, "Logged", &receiver.url("/logged")).await;
    let hook_id = hook.id.to_string();
    let (status, rotated) = api
        .app
        .call_json("webhooks/signing-secret/rotate", &[("id", &hook_id)])
        .await;
    assert_eq!(status, 200);
    let signing_secret = rotated["secret"].as_str().unwrap().to_string();
    let campaign = api
        .campaign("Logged campaign", "email", "live", Some(&hook_id))
        .await;
    let database_url = std::fs::read_to_string(api.app.dir.path().join("database-url")).unwrap();
    let (dir, api_key, token) = api.stop().await;

    // The same database served by the binary, every debug line on, as JSON.
    let address = free_port();
    let log_path = dir.path().join("server.log");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_feedback-webhooks"));
    command
        .args([
            "--database-url",
            &database_url,
            "--listen",
            &address.to_string(),
        ])
        .args([
            "--allow-private-targets",
            "127.0.0.1/32",
            "--log-format",
            "json",
        ])
        .arg("--site-root")
        .arg(dir.path().join("site"))
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    if crate::support::database::is_postgres() {
        command.env(
            "FW_ENCRYPTION_KEY",
            crate::support::database::ENCRYPTION_KEY,
        );
    }
    let mut child = command.spawn().expect("the server binary starts");
    let base = format!("http://{address}");
    let http = client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = http.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|answer| answer.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the server process gets ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A delivery with a JWT, a secret header and a signature; a refused sign-in.
    let recipient_address = "private-recipient-71@example.com";
    let request_id = "logged-request-5531";
    let call = serde_json::json!({"requestId": request_id, "campaignId": campaign,
        "recipients": [recipient(recipient_address)]});
    let accepted = http
        .post(format!("{base}/im/executions/unitary"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-api-key", &api_key)
        .header("x-gw-ims-org-id", "default-org")
        .header("x-sandbox-name", "prod")
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let typed_password = "typed-password-never-logged";
    let refused = http
        .post(format!("{base}/api/login"))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("email", ADMIN_EMAIL), ("password", typed_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let deadline = Instant::now() + Duration::from_secs(15);
    let delivered = loop {
        if let Some(delivered) = receiver.received().into_iter().next() {
            break delivered;
        }
        assert!(Instant::now() < deadline, "the delivery arrives");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let sent_header = |name: &str| {
        delivered.headers[name]
            .to_str()
            .unwrap()
            .trim_start_matches("Bearer ")
            .to_string()
    };
    let (jwt, signature) = (
        sent_header("authorization"),
        sent_header("webhook-signature"),
    );
    assert_eq!(sent_header("x-api-key"), "k-123");
    // The attempt's line is written once the attempt is recorded; then the process stops.
    let deadline = Instant::now() + Duration::from_secs(10);
    let logs = loop {
        let logs = std::fs::read_to_string(&log_path).unwrap();
        if logs.contains("attempt finished") {
            break logs;
        }
        assert!(Instant::now() < deadline, "an attempt is logged:\n{logs}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = child.kill();
    let _ = child.wait();

    let lines: Vec<Value> = logs
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
        })
        .collect();
    assert!(lines.len() > 10, "debug lines of the libraries too");
    // A panic would be an error line of its own (see main.rs); none happened.
    let panics: Vec<&Value> = lines
        .iter()
        .filter(|line| {
            line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("panicked"))
        })
        .collect();
    assert!(panics.is_empty(), "no thread panicked: {panics:?}");
    let attempt = lines
        .iter()
        .find(|line| line["message"] == "attempt finished")
        .unwrap();
    assert_eq!(attempt["webhook"], hook_id.as_str());
    assert_eq!(attempt["attempt"], 1);
    assert_eq!(attempt["status"], 200);
    assert!(uuid::Uuid::parse_str(attempt["delivery"].as_str().unwrap()).is_ok());
    assert!(attempt["level"].is_string() && attempt["timestamp"].is_string());
    for secret in [
        JWT_SECRET,
        "k-123",
        token.as_str(),
        signing_secret.as_str(),
        signing_secret.trim_start_matches("whsec_"),
        jwt.as_str(),
        signature.as_str(),
        typed_password,
        ADMIN_PASSWORD,
        recipient_address,
        request_id,
    ] {
        assert!(!logs.contains(secret), "{secret} was logged");
    }
}

/// A small file system of its own, mounted for one test and unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            mounted.success(),
            "this test mounts a small tmpfs for the database: it needs root, as CI has"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The database's disk full: the execution API answers 503 and says so (never a 202 for what
/// was not stored, and what it refused is never delivered), and once space is freed everything
/// resumes by itself: every accepted call is delivered and new calls are accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_calls_clearly_and_everything_resumes_when_space_returns() {
    if crate::support::database::is_postgres() {
        eprintln!("a SQLite test: PostgreSQL's disk belongs to its server");
        return;
    }
    let disk = SmallDisk::mount(16);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("database-url"),
        format!("sqlite://{}", disk.path().join("fw.db").display()),
    )
    .unwrap();
    let api = api_on(TestApp::with_admin_in(dir, &[]).await).await;
    let receiver = TestReceiver::start().await;
    let campaign = api.live_campaign_to(&receiver, &["sent"]).await;
    let call = |request_id: String| {
        let body = one_recipient_call(&campaign, &request_id);
        let request = api.execute(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };
    let (status, _) = call("before-full".into()).await;
    assert_eq!(status, 202);

    let filler = disk.fill();
    // Calls go on until the database has no room left: each is either stored (202) or
    // refused with a 503 that says why.
    let mut accepted = vec!["before-full".to_string()];
    let mut refused = Vec::new();
    for n in 0..5_000 {
        let request_id = format!("while-full-{n}");
        match call(request_id.clone()).await {
            (202, _) => accepted.push(request_id),
            (503, body) => {
                let said = body["title"].as_str().unwrap_or_default();
                assert!(said.contains("disk is full"), "{body}");
                assert!(said.contains("nothing was stored"), "{body}");
                refused.push(request_id);
                if refused.len() == 3 {
                    break;
                }
            }
            (status, body) => panic!("{status}: {body}"),
        }
    }
    assert_eq!(refused.len(), 3, "a full disk refuses calls");
    // The pages still read: people can see what happens.
    let (status, _) = api.app.get_text("/healthz").await;
    assert_eq!(status, 200);

    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let request_id = "after-space-returned".to_string();
        if call(request_id.clone()).await.0 == 202 {
            break request_id;
        }
        assert!(Instant::now() < deadline, "calls accepted again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    accepted.push(after);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let arrived: HashSet<String> = arrived_statuses(&receiver)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        if accepted.iter().all(|id| arrived.contains(id)) {
            assert!(
                refused.iter().all(|id| !arrived.contains(id)),
                "a refused call was delivered"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} accepted calls delivered",
            accepted.iter().filter(|id| arrived.contains(*id)).count(),
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = listed_request_ids(&api).await;
    assert!(
        refused.iter().all(|id| !listed.contains(id)),
        "nothing stored for a 503"
    );
}

/// `/metrics` after a small load: attempts by outcome and error, calls by route and status,
/// group commits by writer, the queue and disabled webhooks; behind its token, or on an address
/// of its own; and absent by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_load_behind_a_token_or_on_their_own_address() {
    let metrics_addr = free_port();
    let metrics_listen = metrics_addr.to_string();
    let api = api_with(&[
        "--provider-delay",
        "50ms",
        "--retry-schedule",
        "10ms",
        "--metrics-token",
        "scrape-me-7f3a",
        "--metrics-listen",
        &metrics_listen,
    ])
    .await;
    let receiver = TestReceiver::start().await;
    // The first answer fails: that delivery is retried (10 ms later) and succeeds.
    receiver.script([crate::support::receiver::Scripted::status(503)]);
    let campaign = api.live_campaign_to(&receiver, &["sent"]).await;
    for n in 0..5 {
        let call = one_recipient_call(&campaign, &format!("metered-{n}"));
        assert_eq!(api.execute(&call).send().await.unwrap().status(), 202);
    }
    let refused = api
        .execute(&serde_json::json!({"requestId": "bad"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    wait_for(&receiver, 6).await;

    let http = reqwest::Client::new();
    let scrape = |token: Option<&'static str>| {
        let mut request = http.get(api.app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(scrape(None).await.0, 401);
    assert_eq!(scrape(Some("scrape-me-wrong")).await.0, 401);
    // Counted when each attempt ends, and recorded a moment later (the recorder lets attempts
    // share a commit): wait until all six are counted and committed.
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let (status, text) = scrape(Some("scrape-me-7f3a")).await;
        assert_eq!(status, 200, "{text}");
        let succeeded = metric_sample(
            &text,
            r#"fw_delivery_attempts_total{outcome="succeeded",error="none"}"#,
        );
        let recorded = metric_sample(&text, r#"fw_group_commit_items_sum{writer="attempts"}"#);
        if succeeded == Some(5.0) && recorded == Some(6.0) {
            break text;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let expect = |line: &str, value: f64| {
        assert_eq!(
            metric_sample(&text, line),
            Some(value),
            "{line} in:\n{text}"
        );
    };
    expect(
        r#"fw_delivery_attempts_total{outcome="retrying",error="HTTP_503"}"#,
        1.0,
    );
    expect("fw_delivery_attempt_duration_seconds_count", 6.0);
    expect(
        r#"fw_http_requests_total{route="/im/executions/unitary",method="POST",status="202"}"#,
        5.0,
    );
    expect(
        r#"fw_http_requests_total{route="/im/executions/unitary",method="POST",status="400"}"#,
        1.0,
    );
    let executions = metric_sample(&text, r#"fw_group_commit_items_sum{writer="executions"}"#);
    assert_eq!(executions, Some(5.0), "the five accepted calls:\n{text}");
    // The first call's delivery is sent by the instance that stored it, with nothing in flight;
    // the retry can only be claimed from the queue; every start is counted once.
    let started = |by: &str| {
        metric_sample(
            &text,
            &format!(r#"fw_deliveries_started_total{{by="{by}"}}"#),
        )
        .unwrap_or(0.0)
    };
    let (handed_off, claimed) = (started("handoff"), started("claim"));
    assert!(handed_off >= 1.0 && claimed >= 1.0, "{text}");
    assert_eq!(handed_off + claimed, 6.0, "{text}");
    // Nothing waits any more; no webhook is disabled; every task runs.
    expect("fw_deliveries_due", 0.0);
    expect("fw_deliveries_in_flight", 0.0);
    expect("fw_webhooks_disabled", 0.0);
    expect("fw_background_tasks_down", 0.0);
    assert!(!text.contains("metered-"), "no request id in a label");
    assert!(!text.contains(&receiver.url("")), "no URL in a label");

    // The address of their own asks for the token too, since one is set.
    let own = format!("http://{metrics_addr}/metrics");
    assert_eq!(http.get(&own).send().await.unwrap().status(), 401);
    let response = http
        .get(&own)
        .bearer_auth("scrape-me-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-type").is_some_and(|v| v
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text")));

    // By default there are none.
    let plain = TestApp::with_admin().await;
    let response = plain
        .client
        .get(plain.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        404,
        "no metrics route without a token or an address"
    );
}

/// Readiness names a background task that keeps stopping (as the claim loop would after a
/// bug), while liveness still answers: a load balancer takes the instance out, a service
/// manager does not kill it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_task_that_keeps_stopping_makes_the_instance_unready() {
    let app = TestApp::with_admin().await;
    let (status, ready) = app.get_text("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let task = app
        .server
        .state
        .background
        .supervise("stopping probe", || async {});
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (status, body) = app.get_text("/readyz").await;
        if status == 503 {
            break body;
        }
        assert_eq!(status, 200, "{body}");
        assert!(Instant::now() < deadline, "still ready with a task down");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        body.contains("background task down: stopping probe"),
        "{body}"
    );
    assert!(
        !body.contains("claim loop"),
        "only the task down is named: {body}"
    );
    let (status, _) = app.get_text("/healthz").await;
    assert_eq!(status, 200, "alive all the same");
    task.abort();
}
