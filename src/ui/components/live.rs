//! Short polling: lists and details that update while they are open, without a reload.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;
use std::time::Duration;

/// Calls `tick` every `every` while `active()` holds, in the browser only; stops with the
/// component that started it.
pub fn poll_while(every: Duration, active: impl Fn() -> bool + 'static, tick: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if active() {
                    tick();
                }
            },
            every,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (every, active, tick);
}
