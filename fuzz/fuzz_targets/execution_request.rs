//! The body of `POST /im/executions/unitary`: any bytes are read and checked without a panic,
//! and what is accepted respects the documented bounds.
#![no_main]

use feedback_webhooks::model::execution::{parse_execution_request, MAX_RECIPIENTS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((request, channel_data)) = parse_execution_request(data) {
        assert!(!request.recipients.is_empty() && request.recipients.len() <= MAX_RECIPIENTS);
        assert_eq!(channel_data.len(), request.recipients.len());
    }
});
