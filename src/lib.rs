// The webhook form is one deep view tree; its type needs more than the default depth.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod app;
pub mod error;
pub mod i18n;
pub mod model;
#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

/// Called by the page's loader script before it hydrates the page's islands, in document order
/// (see `ui::components::interactive`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    report_panics_unless_leaving();
    leptos::mount::hydrate_islands();
}

/// Panics go to the console, except once the page is being left: a person who follows a link
/// before the page's chunks arrived cancels their download, and the chunk loader stops with a
/// panic the next page has no use for. Anything else still reaches the console.
#[cfg(feature = "hydrate")]
fn report_panics_unless_leaving() {
    use std::cell::Cell;
    use wasm_bindgen::prelude::Closure;
    use wasm_bindgen::JsCast;
    thread_local! {
        static LEAVING: Cell<bool> = const { Cell::new(false) };
    }
    std::panic::set_hook(Box::new(|info| {
        if !LEAVING.get() {
            console_error_panic_hook::hook(info);
        }
    }));
    let leaving = Closure::<dyn Fn()>::new(|| LEAVING.set(true));
    let _ = leptos::prelude::window()
        .add_event_listener_with_callback("pagehide", leaving.as_ref().unchecked_ref());
    // Listens for as long as the page lives.
    leaving.forget();
}
