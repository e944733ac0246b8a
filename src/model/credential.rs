//! API credentials as the administration page shows them: never the token after creation.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialView {
    pub id: String,
    pub name: String,
    pub ims_org: String,
    /// Public: sent as `x-api-key`.
    pub api_key: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A credential just created, with its secret token: shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewCredentialShown {
    pub credential: CredentialView,
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialList {
    pub items: Vec<CredentialView>,
    pub ims_org: String,
    pub sandbox_name: String,
}

pub fn credential_name_problem(name: &str) -> Option<String> {
    let chars = name.trim().chars().count();
    if chars == 0 {
        Some("Enter a name that says who uses this credential.".into())
    } else if chars > 100 {
        Some(format!(
            "Use at most 100 characters (this name has {chars})."
        ))
    } else {
        None
    }
}
