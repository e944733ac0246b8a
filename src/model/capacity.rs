//! How many of each thing a sandbox or an organization holds: every list the app shows and
//! every loop over them stays bounded.

use super::message::Message;
use serde::{Deserialize, Serialize};

/// The most of one kind of thing one container holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub holding: Holding,
    pub max: usize,
}

/// What a container holds, and so what a full one refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holding {
    /// Feedback webhooks in a sandbox.
    WebhooksPerSandbox,
    CampaignsPerSandbox,
    /// Active credentials in an organization.
    CredentialsPerOrganization,
    UsersPerOrganization,
    SandboxesPerOrganization,
}

pub const WEBHOOKS_PER_SANDBOX: Capacity = Capacity {
    holding: Holding::WebhooksPerSandbox,
    max: 100,
};
pub const CAMPAIGNS_PER_SANDBOX: Capacity = Capacity {
    holding: Holding::CampaignsPerSandbox,
    max: 1_000,
};
/// Active credentials: revoked ones do not count.
pub const CREDENTIALS_PER_ORGANIZATION: Capacity = Capacity {
    holding: Holding::CredentialsPerOrganization,
    max: 50,
};
/// Every user counts, invited and disabled ones too.
pub const USERS_PER_ORGANIZATION: Capacity = Capacity {
    holding: Holding::UsersPerOrganization,
    max: 500,
};
pub const SANDBOXES_PER_ORGANIZATION: Capacity = Capacity {
    holding: Holding::SandboxesPerOrganization,
    max: 20,
};

impl Capacity {
    /// Why one more cannot be added beside the `count` there are, if it cannot.
    pub fn full(&self, count: usize) -> Option<Message> {
        (count >= self.max).then_some(Message::Full {
            holding: self.holding,
            max: self.max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_is_full_at_its_capacity() {
        assert_eq!(WEBHOOKS_PER_SANDBOX.full(99), None);
        let full = WEBHOOKS_PER_SANDBOX.full(100).unwrap().to_string();
        assert!(
            full.contains("sandbox already has 100 feedback webhooks"),
            "{full}"
        );
        assert!(SANDBOXES_PER_ORGANIZATION.full(20).is_some());
    }
}
