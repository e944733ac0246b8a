//! The build script: generates the `i18n` module from the French and English catalogues
//! (`src/i18n/locales/`), so every key a page uses is checked when the product compiles.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=src/i18n/build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let config = Config::new("en")
        .and_then(|config| config.add_locale("fr"))
        .expect("the locales are valid names")
        .locales_path("src/i18n/locales")
        // Strings with values in them (`td_string!`), not only views: messages written into
        // attributes, and the English text of the APIs' refusals.
        .parse_options(ParseOptions::default().interpolate_display(true));
    let translations = TranslationsInfos::parse(config).expect("the catalogues parse");
    translations.rerun_if_locales_changed();
    // A key missing from one language is a warning here and a failed test in the test command
    // (see `i18n::tests`).
    translations.emit_diagnostics();
    translations
        .generate_i18n_module(out_dir.join("i18n"))
        .expect("the i18n module is written");
}
