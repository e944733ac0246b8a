//! Campaign templates filled from a recipient's data: never a panic, never more than the bound.
#![no_main]

use feedback_webhooks::model::campaign::render;
use libfuzzer_sys::fuzz_target;

const BOUND: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The template, then the recipient's context as JSON, split at the first NUL.
    let (template, context) = text.split_once('\0').unwrap_or((text, "{}"));
    let context: serde_json::Value = serde_json::from_str(context).unwrap_or_default();
    let profile = serde_json::json!({"firstName": "John", "nested": {"a": [1, 2, {"b": "c"}]}});
    if let Ok(rendered) = render(template, &context, &profile, BOUND) {
        assert!(rendered.len() <= BOUND);
    }
});
