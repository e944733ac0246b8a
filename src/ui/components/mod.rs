pub mod confirm_delete;
pub mod field;
pub mod header_rows;
pub mod layout;
pub mod signing_secret;
pub mod test_event;
pub mod time;
