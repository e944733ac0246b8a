//! How many of each thing a sandbox or an organization holds: every list the app shows and
//! every loop over them stays bounded.

/// The most of one kind of thing one container holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub things: &'static str,
    pub container: &'static str,
    pub max: usize,
}

pub const WEBHOOKS_PER_SANDBOX: Capacity = Capacity {
    things: "feedback webhooks",
    container: "sandbox",
    max: 100,
};
pub const CAMPAIGNS_PER_SANDBOX: Capacity = Capacity {
    things: "campaigns",
    container: "sandbox",
    max: 1_000,
};
/// Active credentials: revoked ones do not count.
pub const CREDENTIALS_PER_ORGANIZATION: Capacity = Capacity {
    things: "active API credentials",
    container: "organization",
    max: 50,
};
/// Every user counts, invited and disabled ones too.
pub const USERS_PER_ORGANIZATION: Capacity = Capacity {
    things: "users",
    container: "organization",
    max: 500,
};
pub const SANDBOXES_PER_ORGANIZATION: Capacity = Capacity {
    things: "sandboxes",
    container: "organization",
    max: 20,
};

impl Capacity {
    /// Why one more cannot be added beside the `count` there are, if it cannot.
    pub fn full(&self, count: usize) -> Option<String> {
        (count >= self.max).then(|| {
            format!(
                "This {} already has {} {}, the most it can hold: delete one to add another.",
                self.container, self.max, self.things
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_is_full_at_its_capacity() {
        assert_eq!(WEBHOOKS_PER_SANDBOX.full(99), None);
        let full = WEBHOOKS_PER_SANDBOX.full(100).unwrap();
        assert!(
            full.contains("sandbox already has 100 feedback webhooks"),
            "{full}"
        );
        assert!(SANDBOXES_PER_ORGANIZATION.full(20).is_some());
    }
}
