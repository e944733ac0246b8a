// The webhook form is one deep view tree; its type needs more than the default depth.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod error;
pub mod i18n;
pub mod model;
#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
