//! What makes a page interactive: the marker its last island sets, and the head's preload of
//! the chunks of the lazy islands it shows.

use leptos::prelude::*;

/// Placed at the end of `<body>`. The loader hydrates a page's islands in document order and
/// waits for each (a lazy island's chunks included), so when this one runs, the page is
/// interactive: browser tests and people's scripts wait for `body[data-hydrated="true"]`.
#[island]
pub fn PageInteractive() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

/// Called by a lazy island as the server renders it (`island` is its name in snake case): names
/// its wasm chunks in the page's `<head>`, so the browser downloads them beside the main module,
/// as the framework does for a lazy route, instead of after it, once the loader reaches the
/// island. A page rendered whole before it is sent (`SsrMode::Async`: the campaign form) always
/// has its head still to write when its islands render; one sent in order, only when its data
/// was ready before the head went out. Nothing in the browser.
pub fn preload_lazy_island(island: &str) {
    #[cfg(feature = "ssr")]
    {
        let Some(manifest) = use_context::<leptos::WasmSplitManifest>() else {
            return;
        };
        let split = manifest
            .0
            .try_read_value()
            .and_then(|read| split_of(read.1.keys(), island).map(str::to_string));
        if let Some(split) = split {
            leptos::prefetch_lazy_fn_on_server(interned(split));
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = island;
}

/// The split of the lazy island `island` among the manifest's: the framework names it
/// `<island>_loader_<hash of where it is declared>`.
#[cfg(any(feature = "ssr", test))]
fn split_of<'a>(splits: impl IntoIterator<Item = &'a String>, island: &str) -> Option<&'a str> {
    let prefix = format!("{island}_loader_");
    splits.into_iter().map(String::as_str).find(|split| {
        split
            .strip_prefix(&prefix)
            .is_some_and(|hash| hash.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The framework keeps the names of the splits to preload as `&'static str`: each is made once
/// (there are as many as lazy islands).
#[cfg(feature = "ssr")]
fn interned(split: String) -> &'static str {
    use std::sync::{Mutex, PoisonError};
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(name) = names.iter().find(|name| **name == split) {
        return name;
    }
    let name: &'static str = Box::leak(split.into_boxed_str());
    names.push(name);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_island_is_found_by_its_loader_split_alone() {
        let splits: Vec<String> = [
            "webhook_editor_loader_302116460037438233",
            "campaign_editor_loader_13491417760282107589",
            "live_history_loader_12826981757900212355",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            split_of(&splits, "webhook_editor"),
            Some("webhook_editor_loader_302116460037438233")
        );
        assert_eq!(
            split_of(&splits, "live_history"),
            Some("live_history_loader_12826981757900212355")
        );
        // Another island whose name ends the same is not it.
        assert_eq!(split_of(&splits, "editor"), None);
        assert_eq!(split_of(&splits, "users"), None);
    }
}
