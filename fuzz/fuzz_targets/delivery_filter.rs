//! The delivery history's filters, from an address's query string: any text is read and
//! checked without a panic, and a filter that is accepted is within its bounds.
#![no_main]

use feedback_webhooks::model::history::DeliveryQuery;
use feedback_webhooks::server::history::{filter_of, parse_cursor, parse_time_filter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(data).into_owned().collect();
    let query = DeliveryQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if let Ok(filter) = filter_of(&query, 50) {
        if let (Some(since), Some(until)) = (filter.since_ms, filter.until_ms) {
            assert!(since < until);
        }
        assert!(filter
            .search
            .as_ref()
            .is_none_or(|s| s.chars().count() <= 320));
    }
    for (_, value) in &pairs {
        let _ = parse_time_filter(value);
        let _ = parse_cursor(value);
    }
});
