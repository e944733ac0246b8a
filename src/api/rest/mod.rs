//! The JSON REST API for automation (`/api/v1/…`): authenticated like the execution API,
//! validated like the forms, refused in the public API's one error shape, and described by the
//! OpenAPI document generated from these handlers (`openapi.rs`). One file per resource.

mod audit;
mod campaigns;
mod credentials;
mod deliveries;
mod openapi;
mod sandboxes;
mod webhooks;

pub use openapi::openapi_document;

use crate::model::credential::Scope;
use crate::server::audit::Actor;
use crate::server::history::{cursor, parse_cursor};
use crate::server::public_api::{authorize, error_body, CallerHeaders, Refusal};
use crate::server::state::AppState;
use crate::server::storage::SandboxRef;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(webhooks::routes())
        .merge(campaigns::routes())
        .merge(deliveries::routes())
        .merge(audit::routes())
        .merge(sandboxes::routes())
        .merge(credentials::routes())
        // An unknown path of the public API is a JSON 404, not the pages' sign-in redirect.
        .route("/api/v1/{*path}", any(no_such_route))
        .route("/im/{*path}", any(no_such_route))
        // Inside the compression layer too, so a framework's refusal (a query parameter that
        // does not parse) is reworded before its body is compressed.
        .layer(axum::middleware::from_fn(problems_for_bare_refusals))
        .route("/api/openapi.json", get(openapi::openapi_json))
}

/// Whether a request is one of the public API's (REST or execution), whose refusals are all
/// in the one JSON error shape.
fn is_public_api(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/api/v1" || path.starts_with("/im/")
}

/// Gives the public API's refusals that no handler wrote (a body over the size bound, a method
/// a path does not take, a timeout) the same JSON error shape as every other, keeping their
/// status and headers (`Allow`, `Retry-After`). Layered outside the body limit, which answers
/// before any handler runs.
pub async fn problems_for_bare_refusals(request: Request, next: Next) -> Response {
    let public = is_public_api(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !public || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // What the framework said (a query parameter that does not parse names it), when short
    // and not compressed.
    let said = if parts.headers.remove(header::CONTENT_ENCODING).is_some() {
        None
    } else {
        axum::body::to_bytes(body, 1024)
            .await
            .ok()
            .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    let title = match status.as_u16() {
        404 => "No such route in this API.".to_string(),
        405 => "This path does not take this method: see the Allow header.".to_string(),
        413 => format!(
            "The body is larger than {} KiB.",
            crate::serve::MAX_REQUEST_BODY_BYTES / 1024
        ),
        503 => {
            "The server could not answer in time; nothing may have been done. Try again shortly."
                .to_string()
        }
        _ => said.unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("The request was refused.")
                .to_string()
        }),
    };
    let body = Refusal::new(status.as_u16(), None, title);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_string(&error_body(&body)).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(body))
}

async fn no_such_route() -> Response {
    answer(Err(Refusal::new(404, None, "No such route in this API.")))
}

type ApiResult = Result<Response, Refusal>;

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    let mut response = (status, serde_json::to_string(body).unwrap_or_default()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn answer(result: ApiResult) -> Response {
    result.unwrap_or_else(|refusal| {
        let status =
            StatusCode::from_u16(refusal.problem.status).unwrap_or(StatusCode::BAD_REQUEST);
        json_response(status, &error_body(&refusal))
    })
}

/// What a REST handler takes of its request besides the body: the headers that carry the
/// credentials, and the client's address, which the audit log names with every change.
pub struct RestCall {
    headers: HeaderMap,
    address: Option<String>,
}

impl axum::extract::FromRequestParts<AppState> for RestCall {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = crate::server::peer::Peer::of_request(
            &parts.extensions,
            &parts.headers,
            &state.config.trusted_proxies,
        );
        Ok(RestCall {
            headers: parts.headers.clone(),
            address: peer.map(|peer| peer.address.to_string()),
        })
    }
}

/// Who calls, once their credential may do what the call's scope allows: the sandbox they
/// name, the credential's scopes, and how the audit log names them (credential and address).
struct Caller {
    sandbox: SandboxRef,
    scopes: Vec<Scope>,
    actor: Actor,
}

async fn authorized(state: &AppState, call: &RestCall, scope: Scope) -> Result<Caller, Refusal> {
    let text = |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok());
    let (credential, sandbox) = authorize(
        state,
        CallerHeaders {
            api_key: text("x-api-key"),
            authorization: text("authorization"),
            ims_org: text("x-gw-ims-org-id"),
            sandbox: text("x-sandbox-name"),
        },
        scope,
    )
    .await?;
    Ok(Caller {
        actor: Actor::credential(&credential, call.address.clone()),
        scopes: credential.scopes,
        sandbox,
    })
}

/// The caller's sandbox, if its credential may do what `scope` allows.
async fn caller(state: &AppState, call: &RestCall, scope: Scope) -> Result<SandboxRef, Refusal> {
    Ok(authorized(state, call, scope).await?.sandbox)
}

/// [`caller`] with the credential and the call's address as the audit log names them, for the
/// calls that change things.
async fn acting_caller(
    state: &AppState,
    call: &RestCall,
    scope: Scope,
) -> Result<(SandboxRef, Actor), Refusal> {
    let caller = authorized(state, call, scope).await?;
    Ok((caller.sandbox, caller.actor))
}

/// The `{id}` of a resource's path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Id {
    /// The resource's id.
    #[param(format = Uuid)]
    #[allow(dead_code)]
    id: String,
}

/// The most items a page holds, and how many when `limit` is not given.
const PAGE_MAX: i64 = 100;
const PAGE_DEFAULT: i64 = 50;

/// A list's page size: `limit`, 1 to 100, 50 when not given.
fn page_limit(limit: Option<i64>) -> Result<i64, Refusal> {
    let limit = limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(Refusal::new(400, Some("limit"), "limit is 1 to 100."));
    }
    Ok(limit)
}

/// The paging of a list that has no filters: the same `limit` and `before` as every list.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100; default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `nextBefore` of the previous page.
    #[param(
        pattern = r"^[0-9]{1,18}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    before: Option<String>,
}

/// One page of a list, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    items: Vec<T>,
    /// Pass as `before` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<String>,
}

/// The `before` of a list paged by creation: the `nextBefore` of a previous page, or nothing.
fn before_cursor(before: Option<&str>) -> Result<Option<(i64, uuid::Uuid)>, Refusal> {
    before
        .map(|text| {
            parse_cursor(text).ok_or_else(|| {
                Refusal::new(
                    400,
                    Some("before"),
                    "before is the nextBefore of a previous page.",
                )
            })
        })
        .transpose()
}

/// Each value of a list at most once (`channels`, `events`, `scopes`).
fn each_once<'a>(field: &str, values: impl IntoIterator<Item = &'a str>) -> Result<(), Refusal> {
    let mut seen = std::collections::BTreeSet::new();
    if values.into_iter().all(|value| seen.insert(value)) {
        Ok(())
    } else {
        Err(Refusal::new(
            400,
            Some(field),
            format!("{field} names each value once."),
        ))
    }
}

/// A page of a list the store reads whole (bounded by its capacity: 100 webhooks, 1,000
/// campaigns per sandbox), newest first by creation, the cursor the same `at_id` text as the
/// deliveries'.
fn page_in_memory<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> (i64, uuid::Uuid),
    query: &PageQuery,
) -> Result<Page<T>, Refusal> {
    let limit = page_limit(query.limit)? as usize;
    let before = before_cursor(query.before.as_deref())?;
    items.sort_by_key(|item| std::cmp::Reverse(key(item)));
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|item| before.is_none_or(|before| key(item) < before))
        .collect();
    let next_before = (rest.len() > limit).then(|| cursor(key(&rest[limit - 1])));
    rest.truncate(limit);
    Ok(Page {
        items: rest,
        next_before,
    })
}

/// A filter given in the query string with nothing in it is refused: leaving it out is how
/// the API says "any".
fn not_blank(field: &str, value: &Option<String>) -> Result<(), Refusal> {
    match value {
        Some(text) if text.trim().is_empty() => Err(Refusal::new(
            400,
            Some(field),
            format!("{field} is empty: leave it out to match any."),
        )),
        _ => Ok(()),
    }
}

/// A list's answer: the page of `records` (read whole, bounded by their capacity) that
/// `query` asks for, each shown as `resource` shows it.
fn list_page<R, T: Serialize>(
    records: Vec<R>,
    key: impl Fn(&R) -> (i64, uuid::Uuid),
    query: &PageQuery,
    resource: impl Fn(&R) -> T,
) -> ApiResult {
    let page = page_in_memory(records, key, query)?;
    Ok(json_response(
        StatusCode::OK,
        &Page {
            items: page.items.iter().map(resource).collect(),
            next_before: page.next_before,
        },
    ))
}

/// A query string that does not fit its parameters (`limit=many`): 400 with what the
/// framework says of it.
fn query_refused(rejection: axum::extract::rejection::QueryRejection) -> Refusal {
    Refusal::new(400, None, rejection.body_text())
}

/// A failure of ours (logged): 500, or 503 with what happened when the database is away or its
/// disk full.
fn internal<E: std::fmt::Display + 'static>(error: E) -> Refusal {
    let error = crate::server::auth::internal(error);
    let status = error.status_code();
    Refusal::new(status, None, error.to_string())
}

fn not_found(what: &str) -> Refusal {
    Refusal::new(404, Some("id"), format!("No such {what} in this sandbox."))
}

/// A refusal of the services the pages share: no such `what` (404); a request the resource's
/// state refuses (409: a disabled webhook cannot be resent to), each handler having checked its
/// own parameters before; our failure otherwise.
fn refused(what: &'static str) -> impl Fn(crate::error::AppError) -> Refusal {
    use crate::error::AppError;
    move |error| match error {
        AppError::NotFound(_) => not_found(what),
        AppError::BadRequest(message) => Refusal::new(409, None, message.to_string()),
        other => internal(other),
    }
}

/// A JSON body read into its type, a refusal naming the field at fault (`channels[1]`) when it
/// does not fit: unknown fields and values included, so a misspelt one is never ignored.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        if path == "." || path == "?" {
            Refusal::new(400, None, format!("The body is not valid: {message}."))
        } else {
            Refusal::new(400, Some(&path), format!("{path}: {message}."))
        }
    })
}

/// A whole number as JSON Schema counts them: `148.0` is the integer 148 to a schema, so to
/// the API too; `148.5` or one out of range is refused.
fn whole_number<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<Option<u32>, D::Error> {
    use serde::de::Error;
    let Some(number) = Option::<serde_json::Number>::deserialize(reader)? else {
        return Ok(None);
    };
    number
        .as_u64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
                .map(|f| f as u64)
        })
        .and_then(|whole| u32::try_from(whole).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a whole number, found {number}")))
}

/// Maps a page save's outcome: saved → the stored resource (201 when created); refused → 422
/// with an error per field, named as the API names it.
async fn saved<T, F, Fut>(
    outcome: Result<crate::model::SaveOutcome, crate::error::AppError>,
    what: &str,
    api_field: fn(&str) -> String,
    resource: F,
) -> ApiResult
where
    T: Serialize,
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    use crate::model::SaveOutcome;
    match outcome {
        Ok(SaveOutcome::Saved { id, created }) => {
            let body = resource(id).await.ok_or_else(|| not_found(what))?;
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(json_response(status, &body))
        }
        Ok(SaveOutcome::Invalid { errors }) => Err(Refusal::invalid_fields(
            errors
                .into_iter()
                .map(|(field, message)| (api_field(&field), message.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )),
        Err(crate::error::AppError::NotFound(_)) => Err(not_found(what)),
        Err(error) => Err(internal(error)),
    }
}

/// A form's field name (`email_subject`) as the API's bodies spell it (`emailSubject`).
fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Item(i64, uuid::Uuid);

    fn items(n: i64) -> Vec<Item> {
        (0..n)
            .map(|i| Item(1_000 + i, uuid::Uuid::from_u128(i as u128)))
            .collect()
    }

    fn query(limit: Option<i64>, before: Option<String>) -> PageQuery {
        PageQuery { limit, before }
    }

    #[test]
    fn pages_walk_every_item_once_newest_first() {
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = page_in_memory(items(7), |i| (i.0, i.1), &query(Some(3), before)).unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(page.items.iter().map(|i| i.0));
            match page.next_before {
                Some(next) => before = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, vec![1006, 1005, 1004, 1003, 1002, 1001, 1000]);
    }

    #[test]
    fn a_full_last_page_has_no_next_and_a_bad_cursor_or_limit_is_refused() {
        let page = page_in_memory(items(3), |i| (i.0, i.1), &query(Some(3), None)).unwrap();
        assert_eq!(page.items.len(), 3);
        assert_eq!(page.next_before, None);
        let bad = page_in_memory(items(3), |i| (i.0, i.1), &query(None, Some("x".into())));
        assert_eq!(bad.err().unwrap().problem.field.as_deref(), Some("before"));
        let big = page_in_memory(items(3), |i| (i.0, i.1), &query(Some(101), None));
        assert_eq!(big.err().unwrap().problem.field.as_deref(), Some("limit"));
    }

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "whole_number")]
            secs: Option<u32>,
        }
        let read = |text: &str| serde_json::from_str::<Body>(text).map(|body| body.secs);
        assert_eq!(read(r#"{"secs": 148}"#).unwrap(), Some(148));
        assert_eq!(read(r#"{"secs": 148.0}"#).unwrap(), Some(148));
        assert_eq!(read(r#"{"secs": null}"#).unwrap(), None);
        assert_eq!(read("{}").unwrap(), None);
        assert!(read(r#"{"secs": 148.5}"#).is_err());
        assert!(read(r#"{"secs": -1}"#).is_err());
        assert!(read(r#"{"secs": 1e12}"#).is_err());
    }

    #[test]
    fn form_fields_are_named_as_the_bodies_spell_them() {
        assert_eq!(camel_case("email_subject"), "emailSubject");
        assert_eq!(camel_case("name"), "name");
    }

    #[test]
    fn a_misfitting_body_names_its_field() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            channels: Vec<u8>,
        }
        let refusal = parse_body::<Body>(br#"{"channels": [1, "x"]}"#).unwrap_err();
        assert_eq!(refusal.problem.field.as_deref(), Some("channels[1]"));
        let unknown = parse_body::<Body>(br#"{"channels": [], "chanels": []}"#).unwrap_err();
        assert!(unknown.problem.message.contains("unknown field `chanels`"));
        let not_json = parse_body::<Body>(b"{").unwrap_err();
        assert_eq!(not_json.problem.field, None);
    }
}
