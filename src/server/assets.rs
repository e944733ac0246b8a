//! The site's own files (the wasm bundle and its chunks, their script, the styles, the icon):
//! served precompressed when the build wrote brotli or gzip copies beside them, kept by browsers
//! for a year under a content-hashed name and revalidated under any other.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use std::path::{Path, PathBuf};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The file in the site root where the build lists each bundle file's content hash (`js:…`,
/// `wasm:…`, `css:…`); the pages name the hashed files only when it is there.
pub const HASH_FILE: &str = "hash.txt";

/// A name the content decides never changes what it holds.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Any other file may change under its name: the browser asks again (a 304 when unchanged).
const REVALIDATE: &str = "no-cache";

/// The hash file of a site root, given whole: Leptos reads it relative to the running binary,
/// and an absolute path keeps it beside the files it describes wherever the binary is.
pub fn hash_file(site_root: &str) -> Option<PathBuf> {
    let root = Path::new(site_root);
    let root = if root.is_absolute() {
        root.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(root)
    };
    Some(root.join(HASH_FILE)).filter(|file| file.is_file())
}

/// Serves the request's file from the site root, or hands the request on (to the not-found
/// page) when there is no such file or the method reads no file.
pub async fn serve_or<F, Fut>(site_root: &str, request: Request, otherwise: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return otherwise(request).await;
    }
    let (parts, body) = request.into_parts();
    let files = ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    let probe = Request::from_parts(parts.clone(), Body::empty());
    let response = match files.oneshot(probe).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return otherwise(Request::from_parts(parts, body)).await;
    }
    let mut response = response.map(Body::new);
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static(cache_control(parts.uri.path())),
        );
    }
    response
}

/// How long a browser may keep a file without asking: a year when its name carries the hash of
/// its content, otherwise until it asks again.
pub fn cache_control(path: &str) -> &'static str {
    if is_content_hashed(path) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// Whether a file's name carries the hash of its content as the build writes it:
/// `name.<hash>.ext`, the hash 22 characters of URL-safe base64 (an MD5).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplit('.');
    let (Some(_extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_content_hashed_name_is_kept_for_a_year() {
        for hashed in [
            "/pkg/feedback-webhooks.Xq3_8kPz-1AbCdEfGhIjKl.wasm",
            "/pkg/feedback-webhooks.Xq3_8kPz-1AbCdEfGhIjKl.js",
            "/pkg/feedback-webhooks.Xq3_8kPz-1AbCdEfGhIjKl.css",
            "/pkg/__wasm_split.Xq3_8kPz-1AbCdEfGhIjKl.js",
            "/pkg/webhook_form_1234.Xq3_8kPz-1AbCdEfGhIjKl.wasm",
        ] {
            assert_eq!(cache_control(hashed), IMMUTABLE, "{hashed}");
        }
        for plain in [
            "/pkg/feedback-webhooks.wasm",
            "/pkg/feedback-webhooks.css",
            "/favicon.svg",
            // 21 characters, or one outside URL-safe base64: not the build's hash
            "/pkg/feedback-webhooks.Xq3_8kPz-1AbCdEfGhIjK.wasm",
            "/pkg/feedback-webhooks.Xq3_8kPz+1AbCdEfGhIjKl.wasm",
            "/pkg/.Xq3_8kPz-1AbCdEfGhIjKl.wasm",
            "/pkg/Xq3_8kPz-1AbCdEfGhIjKl.wasm",
        ] {
            assert_eq!(cache_control(plain), REVALIDATE, "{plain}");
        }
    }
}
