//! Several instances on one database: what one changes applies on the others, roles split
//! the work, failed sign-ins count across instances, and a restarted PostgreSQL loses nothing.

use crate::support::api::*;
use crate::support::cluster::Cluster;
use crate::support::database::is_postgres;
use crate::support::receiver::TestReceiver;
use crate::support::*;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How long a kept answer is served when no notification comes (`storage::lookups::TTL`).
const KEPT_ANSWER_TTL: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_revoked_on_one_instance_is_refused_by_the_other_at_once() {
    if !is_postgres() {
        eprintln!("a PostgreSQL test: instances on one SQLite file rely on the TTL alone");
        return;
    }
    let first = api_with(&["--provider-delay", "50ms"]).await;
    let receiver = TestReceiver::start().await;
    let campaign = first.live_campaign_to(&receiver, &["sent"]).await;
    let second = first.on(first.app.beside(&["--provider-delay", "50ms"]).await);
    // The second instance now keeps this caller and campaign in memory.
    let kept = second
        .execute(&one_recipient_call(&campaign, "kept"))
        .send()
        .await;
    assert_eq!(kept.unwrap().status(), 202);

    let (_, list) = first.app.call_json("credentials/list", &[]).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = first
        .app
        .call_json("credentials/revoke", &[("id", &id)])
        .await;
    assert_eq!(status, 200);
    let revoked = Instant::now();
    let mut calls = 0;
    loop {
        calls += 1;
        let status = second
            .execute(&one_recipient_call(&campaign, &format!("after-{calls}")))
            .send()
            .await
            .unwrap()
            .status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 202, "served from the kept answer until told");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Without the notification the kept answer would be served until its TTL ends.
    assert!(
        revoked.elapsed() < KEPT_ANSWER_TTL / 2,
        "refused {:?} after the revocation",
        revoked.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_instance_accepts_and_a_worker_instance_delivers_when_told() {
    if !is_postgres() {
        eprintln!("a PostgreSQL test: roles split the work of instances sharing PostgreSQL");
        return;
    }
    let web = api_with(&["--role", "web", "--provider-delay", "300ms"]).await;
    let receiver = TestReceiver::start().await;
    let campaign = web
        .live_campaign_to(&receiver, &["sent", "delivered"])
        .await;
    let accepted = web
        .execute(&one_recipient_call(&campaign, "first"))
        .send()
        .await;
    assert_eq!(accepted.unwrap().status(), 202);
    let (status, ready) = web.app.get_text("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready.contains(r#""role":"web""#), "{ready}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        receiver.received().is_empty(),
        "a web instance delivers nothing"
    );

    // It polls once a minute: anything it delivers sooner it was told of.
    let worker = web
        .app
        .beside(&[
            "--role",
            "worker",
            "--poll-interval",
            "60s",
            "--provider-delay",
            "300ms",
        ])
        .await;
    for (path, expected) in [("/login", 404), ("/healthz", 200), ("/readyz", 200)] {
        let (status, body) = worker.get_text(path).await;
        assert_eq!(status, expected, "{path}: {body}");
    }
    let (_, ready) = worker.get_text("/readyz").await;
    assert!(ready.contains(r#""role":"worker""#), "{ready}");
    let call = reqwest::Client::new()
        .post(worker.url("/im/executions/unitary"))
        .json(&one_recipient_call(&campaign, "refused"))
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), 404, "a worker serves no API");
    // What waited is delivered when the worker starts: the sent event and the outcome.
    wait_for(&receiver, 2).await;

    let told = Instant::now();
    let accepted = web
        .execute(&one_recipient_call(&campaign, "second"))
        .send()
        .await;
    assert_eq!(accepted.unwrap().status(), 202);
    let deadline = told + Duration::from_secs(10);
    while receiver.received().len() < 4 {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            arrived_statuses(&receiver)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let events: HashSet<(String, String)> = arrived_statuses(&receiver).into_iter().collect();
    let expected: HashSet<(String, String)> = [
        ("first", "sent"),
        ("first", "delivered"),
        ("second", "sent"),
        ("second", "delivered"),
    ]
    .iter()
    .map(|(id, kind)| (id.to_string(), kind.to_string()))
    .collect();
    assert_eq!(events, expected);
    assert!(
        told.elapsed() < Duration::from_secs(10),
        "the worker was woken, not polled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_on_one_instance_lock_the_account_on_the_other() {
    let first = TestApp::with_admin().await;
    let second = first.beside(&[]).await;
    for _ in 0..10 {
        let refused = first.login(ADMIN_EMAIL, "not the password").await;
        assert_eq!(refused.status(), 401);
    }
    let locked = second.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429, "{}", locked.text().await.unwrap());
    // Another account is not locked.
    let other = second.login("someone@example.com", "wrong").await;
    assert_eq!(other.status(), 401);
}

/// Two instances take calls while their PostgreSQL server restarts: each answers 202 or 503
/// (never an error, never a hang), both accept again afterwards, and every accepted call's
/// feedback arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_postgresql_loses_nothing_accepted_and_both_instances_recover() {
    if !is_postgres() {
        eprintln!("a PostgreSQL test: it restarts the database server");
        return;
    }
    let cluster = std::sync::Arc::new(Cluster::start());
    {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&cluster.url("postgres"))
            .await
            .unwrap();
        sqlx::query("CREATE DATABASE fw")
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("database-url"), cluster.url("fw")).unwrap();
    let options = [
        "--provider-delay",
        "50ms",
        "--retry-schedule",
        "100ms,200ms,500ms,1s",
    ];
    let first = api_on(TestApp::with_admin_in(dir, &options).await).await;
    let receiver = TestReceiver::start().await;
    let campaign = first.live_campaign_to(&receiver, &["sent"]).await;
    let second = std::sync::Arc::new(first.on(first.app.beside(&options).await));
    let first = std::sync::Arc::new(first);

    let restarted = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let load = |api: &std::sync::Arc<Api>, name: &'static str| {
        let (api, campaign, restarted) = (api.clone(), campaign.clone(), restarted.clone());
        async move {
            let mut answers = Vec::new();
            for i in 0.. {
                let request_id = format!("{name}-{i}");
                let sent_at = Instant::now();
                let answer = api
                    .execute(&one_recipient_call(&campaign, &request_id))
                    .timeout(Duration::from_secs(20))
                    .send()
                    .await
                    .expect("an answer, not a hang");
                let after_restart = restarted.lock().unwrap().is_some_and(|at| sent_at > at);
                answers.push((request_id, answer.status().as_u16(), after_restart));
                let accepted_since = answers.iter().filter(|(_, s, after)| *after && *s == 202);
                if accepted_since.count() >= 20 {
                    return answers;
                }
                assert!(i < 20_000, "{name} never accepted again after the restart");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            unreachable!()
        }
    };
    let loads = (
        tokio::spawn(load(&first, "first")),
        tokio::spawn(load(&second, "second")),
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarting = Instant::now();
    let restarting_cluster = cluster.clone();
    tokio::task::spawn_blocking(move || restarting_cluster.restart())
        .await
        .unwrap();
    *restarted.lock().unwrap() = Some(Instant::now());
    eprintln!("restarted in {:?}", restarting.elapsed());
    let (first_answers, second_answers) = (loads.0.await.unwrap(), loads.1.await.unwrap());

    let mut accepted = HashSet::new();
    for (request_id, status, _) in first_answers.iter().chain(&second_answers) {
        assert!(
            *status == 202 || *status == 503,
            "{request_id}: {status} (only accepted or unavailable)"
        );
        if *status == 202 {
            accepted.insert(request_id.clone());
        }
    }
    let refused = first_answers.len() + second_answers.len() - accepted.len();
    eprintln!("{} accepted, {refused} refused while away", accepted.len());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let delivered: HashSet<String> = arrived_statuses(&receiver)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let missing: Vec<&String> = accepted.difference(&delivered).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} accepted calls never delivered, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Instances started at the same moment on a new database all start: the schema, the session
/// table and the first administrator are created once, whoever comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_on_a_new_database_all_start() {
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let url = crate::support::database::database_url(dirs[0].path());
    for dir in &dirs[1..] {
        std::fs::write(dir.path().join("database-url"), &url).unwrap();
    }
    let starting: Vec<_> = dirs
        .into_iter()
        .map(|dir| tokio::spawn(TestApp::with_admin_in(dir, &[])))
        .collect();
    for started in starting {
        let app = started.await.expect("every instance starts");
        assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    }
}

/// Servers starting in the process while another serves pages: every page still answers. (A
/// start lists the app's routes by rendering it with resource loading suppressed process-wide;
/// a page whose resource was first polled in that moment never finished.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_answer_while_other_servers_start_in_the_same_process() {
    use feedback_webhooks::model::routes::{CAMPAIGNS, WEBHOOKS};
    let app = TestApp::signed_in().await;
    let started = std::sync::atomic::AtomicBool::new(false);
    let starting = async {
        for _ in 0..12 {
            let dir = tempfile::tempdir().unwrap();
            let server = feedback_webhooks::serve::start(config_for(dir.path(), &[]))
                .await
                .expect("server starts");
            server.stop().await;
        }
        started.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let serving = async {
        let mut answered = 0;
        for path in std::iter::repeat([WEBHOOKS, CAMPAIGNS]).flatten() {
            // Pages answer in milliseconds: one still unanswered after 20 s has hung (the
            // server itself would cut it at 30 s).
            let page = tokio::time::timeout(Duration::from_secs(20), app.get_text(path)).await;
            let (status, _) = page.unwrap_or_else(|_| panic!("GET {path} never answered"));
            assert_eq!(status, 200, "GET {path}");
            answered += 1;
            if started.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
        }
        answered
    };
    let ((), answered) = tokio::join!(starting, serving);
    assert!(answered > 12, "pages were served while the servers started");
}
