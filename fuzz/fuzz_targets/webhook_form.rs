//! The webhook settings form as a browser (or anyone) posts it, decoded the way server
//! functions decode it, then validated: no input may panic or take unbounded work.
#![no_main]

use feedback_webhooks::model::network::PrivateTargetAllowList;
use feedback_webhooks::model::validation::{validate_webhook, StoredSecrets};
use feedback_webhooks::model::WebhookForm;
use libfuzzer_sys::fuzz_target;

#[derive(serde::Deserialize)]
struct Posted {
    form: WebhookForm,
}

fuzz_target!(|data: &[u8]| {
    let Ok(posted) = serde_qs::from_bytes::<Posted>(data) else {
        return;
    };
    let allow = PrivateTargetAllowList::parse("127.0.0.1/32").unwrap();
    let mut stored = StoredSecrets::default();
    if let Some(row) = posted.form.headers.first() {
        stored.header_values.insert(row.id.clone(), 12);
    }
    if let Ok(draft) = validate_webhook(&posted.form, &allow, &stored) {
        // Accepted rows stay within the documented bounds.
        assert!(draft.headers.len() <= feedback_webhooks::model::validation::HEADERS_MAX_ROWS);
    }
});
