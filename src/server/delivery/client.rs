//! The one HTTP client of deliveries: keep-alive over rustls, strict timeouts, redirects never
//! followed, a bounded read of the answer, and an SSRF guard that vets every resolved address and
//! connects only to the vetted ones (no second lookup, so DNS rebinding cannot slip through).

use crate::model::network::{non_public_reason, PrivateTargetAllowList};
use crate::server::delivery::outcome::{AttemptError, AttemptResult};
use crate::server::delivery::retry::parse_retry_after;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// At most this much of a response body is read and kept.
pub const BODY_EXCERPT_LIMIT: usize = 64 * 1024;

/// Response headers kept with an attempt: enough to diagnose, never cookies.
const KEPT_HEADERS: [&str; 7] = [
    "content-type",
    "content-length",
    "retry-after",
    "location",
    "x-request-id",
    "request-id",
    "server",
];

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(15),
        }
    }
}

#[derive(Clone, Debug)]
pub struct DeliveryClient {
    http: reqwest::Client,
    allow: Arc<PrivateTargetAllowList>,
}

/// The target resolved to an address webhooks may not reach.
#[derive(Debug, thiserror::Error)]
#[error("{ip} is a {reason} address")]
struct TargetRefused {
    ip: IpAddr,
    reason: &'static str,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {0}")]
struct ResolveFailed(String);

struct GuardedResolver {
    allow: Arc<PrivateTargetAllowList>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| ResolveFailed(host.clone()))?
                .collect();
            if addrs.is_empty() {
                return Err(ResolveFailed(host).into());
            }
            // One forbidden address refuses the whole name: the connector might pick any of them.
            if let Some(refused) = addrs.iter().find_map(|addr| refusal(&allow, addr.ip())) {
                return Err(refused.into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

fn refusal(allow: &PrivateTargetAllowList, ip: IpAddr) -> Option<TargetRefused> {
    let reason = non_public_reason(ip)?;
    (!allow.allows(ip)).then_some(TargetRefused { ip, reason })
}

/// The certificate authorities of a PEM file (`--extra-ca-file`), trusted besides the public
/// ones; a file that cannot be read or holds no certificate is refused, never ignored.
pub fn extra_roots(file: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(file).map_err(|error| error.to_string())?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| error.to_string())?;
    if roots.is_empty() {
        return Err("holds no PEM certificate".into());
    }
    Ok(roots)
}

impl DeliveryClient {
    /// A client that vets targets against `allow` and trusts the public certificate
    /// authorities, and `extra_roots` besides.
    pub fn new(
        allow: PrivateTargetAllowList,
        timeouts: Timeouts,
        user_agent: &str,
        extra_roots: Vec<reqwest::Certificate>,
    ) -> Self {
        let allow = Arc::new(allow);
        let mut http = reqwest::Client::builder();
        for root in extra_roots {
            http = http.add_root_certificate(root);
        }
        let http = http
            .user_agent(user_agent)
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from HTTP(S)_PROXY or ALL_PROXY would resolve and reach each target
            // itself, and the guard below would vet only the proxy.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .expect("the delivery HTTP client builds with static settings");
        DeliveryClient { http, allow }
    }

    /// POSTs `body` and records what happened; never returns an error, every failure is an outcome.
    pub async fn post(&self, url: &str, headers: HeaderMap, body: Vec<u8>) -> AttemptResult {
        let started = Instant::now();
        // IP literals never reach the resolver: vet them here.
        if let Ok(parsed) = url::Url::parse(url) {
            let literal: Option<IpAddr> = match parsed.host() {
                Some(url::Host::Ipv4(v4)) => Some(v4.into()),
                Some(url::Host::Ipv6(v6)) => Some(v6.into()),
                _ => None,
            };
            let refused = literal.and_then(|ip| refusal(&self.allow, ip)).is_some();
            let plain_http_to_public =
                parsed.scheme() == "http" && literal.is_some_and(|ip| !self.allow.allows(ip));
            if refused || plain_http_to_public {
                return AttemptResult::failed(AttemptError::Ssrf, started.elapsed());
            }
        }
        let response = match self.http.post(url).headers(headers).body(body).send().await {
            Ok(response) => response,
            Err(error) => return AttemptResult::failed(classify(&error), started.elapsed()),
        };
        let status = response.status().as_u16();
        let response_headers: Vec<(String, String)> = KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(*name)?.to_str().ok()?;
                Some((name.to_string(), value.chars().take(512).collect()))
            })
            .collect();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let (body_excerpt, body_error) = read_excerpt(response).await;
        let error = if (300..400).contains(&status) {
            Some(AttemptError::Redirect)
        } else {
            body_error
        };
        AttemptResult {
            status: Some(status),
            error,
            duration: started.elapsed(),
            response_headers,
            body_excerpt,
            retry_after,
        }
    }
}

/// Reads at most `BODY_EXCERPT_LIMIT` bytes, then drops the connection's remaining body.
async fn read_excerpt(mut response: reqwest::Response) -> (String, Option<AttemptError>) {
    let mut kept = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_EXCERPT_LIMIT - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if kept.len() >= BODY_EXCERPT_LIMIT {
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                let code = if error.is_timeout() {
                    AttemptError::Timeout
                } else {
                    AttemptError::Body
                };
                return (String::from_utf8_lossy(&kept).into_owned(), Some(code));
            }
        }
    }
    (String::from_utf8_lossy(&kept).into_owned(), None)
}

fn classify(error: &reqwest::Error) -> AttemptError {
    if error.is_timeout() {
        return AttemptError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut text = String::new();
    while let Some(current) = source {
        if current.downcast_ref::<TargetRefused>().is_some() {
            return AttemptError::Ssrf;
        }
        if current.downcast_ref::<ResolveFailed>().is_some() {
            return AttemptError::Dns;
        }
        if current
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return AttemptError::Timeout;
        }
        text.push_str(&current.to_string().to_lowercase());
        text.push(' ');
        source = current.source();
    }
    if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
        AttemptError::Tls
    } else if error.is_body() || error.is_decode() {
        AttemptError::Body
    } else {
        AttemptError::Connect
    }
}
