//! The delivery HTTP client against a real receiver on loopback.

use crate::support::receiver::{Scripted, TestReceiver};
use crate::support::tls::TestCa;
use feedback_webhooks::model::network::PrivateTargetAllowList;
use feedback_webhooks::server::delivery::client::{DeliveryClient, Timeouts, BODY_EXCERPT_LIMIT};
use feedback_webhooks::server::delivery::outcome::AttemptError;
use reqwest::header::HeaderMap;
use std::time::Duration;

fn client(allow: &str) -> DeliveryClient {
    trusting(allow, Vec::new())
}

/// A client that trusts `roots` besides the public certificate authorities.
fn trusting(allow: &str, roots: Vec<reqwest::Certificate>) -> DeliveryClient {
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_millis(800),
    };
    DeliveryClient::new(
        PrivateTargetAllowList::parse(allow).unwrap(),
        timeouts,
        "feedback-webhooks/test",
        roots,
    )
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    headers
}

#[tokio::test]
async fn a_2xx_is_a_success_with_its_headers_and_body_kept() {
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(202)
        .header("x-request-id", "abc-1")
        .body("accepted")]);
    let result = client("127.0.0.1/32")
        .post(
            &receiver.url("/hook"),
            json_headers(),
            b"{\"a\":1}".to_vec(),
        )
        .await;
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.status, Some(202));
    assert_eq!(result.body_excerpt, "accepted");
    assert!(result
        .response_headers
        .contains(&("x-request-id".into(), "abc-1".into())));
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body.as_ref(), b"{\"a\":1}");
    assert_eq!(received[0].headers["user-agent"], "feedback-webhooks/test");
    assert_eq!(received[0].headers["content-type"], "application/json");
}

#[tokio::test]
async fn redirects_are_failures_and_never_followed() {
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(302).header("location", "/elsewhere")]);
    let result = client("127.0.0.1/32")
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert_eq!(
        (result.status, result.error),
        (Some(302), Some(AttemptError::Redirect))
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "the redirect target was not requested"
    );
}

#[tokio::test]
async fn a_slow_endpoint_times_out() {
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(200).delay(Duration::from_secs(3))]);
    let result = client("127.0.0.1/32")
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert_eq!(result.error, Some(AttemptError::Timeout), "{result:?}");
    assert!(
        result.duration < Duration::from_secs(2),
        "{:?}",
        result.duration
    );
}

#[tokio::test]
async fn a_10_mib_answer_is_read_only_up_to_64_kib() {
    let receiver = TestReceiver::start().await;
    receiver.script([Scripted::status(200).body(vec![b'x'; 10 * 1024 * 1024])]);
    let result = client("127.0.0.1/32")
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.body_excerpt.len(), BODY_EXCERPT_LIMIT);
}

#[tokio::test]
async fn retry_after_and_gone_are_reported() {
    let receiver = TestReceiver::start().await;
    receiver.script([
        Scripted::status(503).header("retry-after", "7"),
        Scripted::status(410),
    ]);
    let client = client("127.0.0.1/32");
    let busy = client
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert_eq!(busy.retry_after, Some(Duration::from_secs(7)));
    assert!(!busy.is_success());
    let gone = client
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert!(gone.is_gone());
}

#[tokio::test]
async fn internal_targets_are_refused_before_any_connection() {
    let receiver = TestReceiver::start().await;
    let port = receiver.addr.port();
    let guarded = client("");
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        "https://10.0.0.1/hook".to_string(),
        "https://169.254.169.254/latest/meta-data".to_string(),
        "https://[::1]/hook".to_string(),
    ] {
        let result = guarded.post(&url, json_headers(), b"{}".to_vec()).await;
        assert_eq!(result.error, Some(AttemptError::Ssrf), "{url}: {result:?}");
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
}

#[tokio::test]
async fn unknown_hosts_and_closed_ports_have_their_own_codes() {
    let guarded = client("127.0.0.1/32");
    let dns = guarded
        .post(
            "https://no-such-host.invalid/hook",
            json_headers(),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(dns.error, Some(AttemptError::Dns), "{dns:?}");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        guarded
            .post(
                &format!("http://127.0.0.1:{port}/hook"),
                json_headers(),
                b"{}".to_vec(),
            )
            .await
    };
    assert_eq!(closed.error, Some(AttemptError::Connect), "{closed:?}");
}

/// Proxy variables name a proxy that would then see (and resolve) every target itself, past
/// the guard: the client ignores them. Run in a child process of this test binary, so the
/// variables reach no other test.
#[tokio::test]
async fn proxy_variables_in_the_environment_are_ignored() {
    const CHILD: &str = "FW_TEST_PROXY_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let receiver = TestReceiver::start().await;
        receiver.script([Scripted::status(200)]);
        let result = client("127.0.0.1/32")
            .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
            .await;
        assert!(result.is_success(), "{result:?}");
        assert_eq!(receiver.received().len(), 1);
        return;
    }
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", trap.local_addr().unwrap());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = trap.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "delivery_client::proxy_variables_in_the_environment_are_ignored",
            "--nocapture",
        ])
        .env(CHILD, "1");
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        child.env(name, &proxy);
    }
    child.env_remove("NO_PROXY").env_remove("no_proxy");
    let output = tokio::task::spawn_blocking(move || child.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// `localhost`, resolved by the guard: both loopback addresses allowed, whichever it returns.
const LOOPBACK: &str = "127.0.0.1/32,::1/128";

#[tokio::test]
async fn https_is_trusted_through_an_extra_ca_with_the_host_named_and_refused_without_it() {
    let ca = TestCa::new("Feedback Webhooks test CA");
    let (tls, server_names) = ca.server_config("localhost");
    let receiver = TestReceiver::start_tls("localhost", tls).await;
    let roots = reqwest::Certificate::from_pem_bundle(ca.pem.as_bytes()).unwrap();

    let trusted = trusting(LOOPBACK, roots)
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert_eq!(
        (trusted.status, trusted.error),
        (Some(200), None),
        "{trusted:?}"
    );
    assert_eq!(receiver.received().len(), 1);
    // The connection went to the address the guard vetted, and still named the host, so the
    // certificate was checked against it.
    assert_eq!(server_names.seen(), [Some("localhost".to_string())]);

    let untrusted = client(LOOPBACK)
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert_eq!(untrusted.error, Some(AttemptError::Tls), "{untrusted:?}");
    assert_eq!(untrusted.status, None);
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing sent over an untrusted connection"
    );
}

#[tokio::test]
async fn a_trusted_certificate_for_another_name_is_refused() {
    let ca = TestCa::new("Feedback Webhooks test CA");
    let (tls, _) = ca.server_config("receiver.example");
    let receiver = TestReceiver::start_tls("localhost", tls).await;
    let roots = reqwest::Certificate::from_pem_bundle(ca.pem.as_bytes()).unwrap();
    let result = trusting(LOOPBACK, roots)
        .post(&receiver.url("/hook"), json_headers(), b"{}".to_vec())
        .await;
    assert_eq!(result.error, Some(AttemptError::Tls), "{result:?}");
    assert!(receiver.received().is_empty());
}

/// An answer cut short (fewer bytes than its `Content-Length` promised) is `E_BODY`, even
/// with a 2xx status: the receiver may not have finished with the event.
#[tokio::test]
async fn an_answer_cut_short_is_a_body_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answering = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this")
            .await
            .unwrap();
        // Closed with 91 bytes still owed.
    });
    let result = client("127.0.0.1/32")
        .post(
            &format!("http://{addr}/hook"),
            json_headers(),
            b"{}".to_vec(),
        )
        .await;
    answering.await.unwrap();
    assert_eq!(result.status, Some(200));
    assert_eq!(result.error, Some(AttemptError::Body), "{result:?}");
    assert_eq!(result.body_excerpt, "only this");
}
