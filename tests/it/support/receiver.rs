//! A webhook endpoint for tests: a small axum app on port 0 that records every request and answers
//! with scripted responses (200 once the script runs out).
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Scripted {
    pub fn status(status: u16) -> Self {
        Scripted {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Clone, Debug)]
pub struct Received {
    /// When the request arrived.
    pub at: std::time::Instant,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
struct Shared {
    script: Arc<Mutex<VecDeque<Scripted>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

pub struct TestReceiver {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port`, or `https://host:port` for a TLS receiver.
    base: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl TestReceiver {
    pub async fn start() -> TestReceiver {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Self::app(&shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestReceiver {
            addr,
            base: format!("http://{addr}"),
            shared,
            task,
        }
    }

    /// A receiver over HTTPS on loopback, reached as `https://host:port` (`host` must resolve
    /// to 127.0.0.1, as `localhost` does).
    pub async fn start_tls(host: &str, tls: rustls::ServerConfig) -> TestReceiver {
        let shared = Shared::default();
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
        };
        let app = Self::app(&shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestReceiver {
            addr,
            base: format!("https://{host}:{}", addr.port()),
            shared,
            task,
        }
    }

    fn app(shared: &Shared) -> axum::Router {
        axum::Router::new()
            .fallback(answer)
            .with_state(shared.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The next answers, in order.
    pub fn script(&self, responses: impl IntoIterator<Item = Scripted>) {
        self.shared.script.lock().unwrap().extend(responses);
    }

    /// Forgets the answers not yet given and scripts these instead.
    pub fn replace_script(&self, responses: impl IntoIterator<Item = Scripted>) {
        let mut script = self.shared.script.lock().unwrap();
        script.clear();
        script.extend(responses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }
}

impl Drop for TestReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.received.lock().unwrap().push(Received {
        at: std::time::Instant::now(),
        path: uri.path().to_string(),
        headers,
        body,
    });
    let scripted = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Scripted::status(200));
    tokio::time::sleep(scripted.delay).await;
    let mut response = (
        StatusCode::from_u16(scripted.status).unwrap(),
        scripted.body,
    )
        .into_response();
    for (name, value) in scripted.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// A listener that accepts every connection and never answers: endpoints that hang.
pub async fn hanging_endpoint() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

/// TCP connections that completed a TLS handshake; a failed or stalled handshake (a client that
/// refused the certificate) is dropped and the next connection accepted.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            let handshake = self.acceptor.accept(tcp);
            if let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(5), handshake).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
