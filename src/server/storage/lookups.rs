//! The execution API's hot reads (the caller's credential, the campaign with its webhook's
//! routing) kept in memory, so a call reads nothing from the database when nothing changed.
//!
//! Every write in this process that could change a kept answer moves the generation on, and an
//! answer read under an older generation is never served again. A change made by another
//! instance sharing a PostgreSQL database does the same when its notification arrives
//! (milliseconds). Answers also expire after [`TTL`]: the bound when no notification can come
//! (another process on the same SQLite file) or one is late.

use super::{CampaignRecord, CredentialRecord, SandboxRef};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an answer is served without reading the database again.
pub const TTL: Duration = Duration::from_secs(2);

/// Most answers kept per kind: beyond, the kept answers are dropped and kept afresh.
const CAPACITY: usize = 4096;

pub type Caller = (CredentialRecord, Option<SandboxRef>);

#[derive(Debug, Default)]
pub struct Lookups {
    generation: AtomicU64,
    /// By API key and sandbox name.
    callers: Kept<(String, Option<String>), Caller>,
    /// By sandbox and campaign id.
    campaigns: Kept<(Uuid, Uuid), CampaignRecord>,
}

impl Lookups {
    /// Read before the database is: an answer is kept under the generation it was read in.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called after a committed write that may change a kept answer.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.callers.clear();
        self.campaigns.clear();
    }

    /// A credential's last use was noted. Kept callers carry it (it decides when to note the
    /// next one), and nothing else changed, so the kept answers stay.
    pub fn touched(&self, credential_id: Uuid, at_ms: i64) {
        let mut callers = self
            .callers
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for entry in callers.values_mut() {
            if entry.value.0.id == credential_id {
                entry.value.0.last_used_at_ms = Some(at_ms);
            }
        }
    }

    pub fn caller(&self, api_key: &str, sandbox_name: Option<&str>) -> Option<Caller> {
        self.callers.get(
            &(api_key.to_string(), sandbox_name.map(str::to_string)),
            self.generation(),
        )
    }

    pub fn keep_caller(
        &self,
        read_in: u64,
        api_key: &str,
        sandbox_name: Option<&str>,
        caller: &Caller,
    ) {
        self.callers.put(
            (api_key.to_string(), sandbox_name.map(str::to_string)),
            caller.clone(),
            read_in,
        );
    }

    pub fn campaign(&self, sandbox_id: Uuid, id: Uuid) -> Option<CampaignRecord> {
        self.campaigns.get(&(sandbox_id, id), self.generation())
    }

    pub fn keep_campaign(&self, read_in: u64, campaign: &CampaignRecord) {
        self.campaigns.put(
            (campaign.sandbox_id, campaign.id),
            campaign.clone(),
            read_in,
        );
    }
}

#[derive(Debug)]
struct Kept<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Debug)]
struct Entry<V> {
    generation: u64,
    read_at: Instant,
    value: V,
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    fn get(&self, key: &K, generation: u64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|entry| entry.generation == generation && entry.read_at.elapsed() < TTL)
            .map(|entry| entry.value.clone())
    }

    fn put(&self, key: K, value: V, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                read_at: Instant::now(),
                value,
            },
        );
    }

    fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str) -> Caller {
        let credential = CredentialRecord {
            id: Uuid::new_v4(),
            organization_id: Uuid::new_v4(),
            ims_org: "org".into(),
            name: name.into(),
            api_key: "fwk_key".into(),
            token_hash: "hash".into(),
            created_at_ms: 0,
            last_used_at_ms: None,
            revoked_at_ms: None,
            scopes: crate::model::credential::Scope::ALL.to_vec(),
            expires_at_ms: None,
        };
        (credential, None)
    }

    #[test]
    fn an_answer_is_served_until_a_change() {
        let lookups = Lookups::default();
        assert_eq!(lookups.caller("fwk_key", Some("prod")), None);
        let read_in = lookups.generation();
        lookups.keep_caller(read_in, "fwk_key", Some("prod"), &caller("first"));
        assert_eq!(
            lookups.caller("fwk_key", Some("prod")).unwrap().0.name,
            "first"
        );
        // Another sandbox name is another answer.
        assert_eq!(lookups.caller("fwk_key", Some("dev")), None);
        lookups.changed();
        assert_eq!(lookups.caller("fwk_key", Some("prod")), None);
    }

    #[test]
    fn a_noted_use_updates_the_kept_caller() {
        let lookups = Lookups::default();
        let kept = caller("used");
        lookups.keep_caller(lookups.generation(), "fwk_key", None, &kept);
        lookups.touched(kept.0.id, 42);
        let served = lookups.caller("fwk_key", None).expect("still kept");
        assert_eq!(served.0.last_used_at_ms, Some(42));
        lookups.touched(Uuid::new_v4(), 99);
        assert_eq!(
            lookups.caller("fwk_key", None).unwrap().0.last_used_at_ms,
            Some(42)
        );
    }

    #[test]
    fn an_answer_read_before_a_change_is_never_served() {
        let lookups = Lookups::default();
        // Read from the database, then a write commits before the answer is kept.
        let read_in = lookups.generation();
        lookups.changed();
        lookups.keep_caller(read_in, "fwk_key", None, &caller("stale"));
        assert_eq!(lookups.caller("fwk_key", None), None);
    }

    #[test]
    fn answers_expire() {
        let kept: Kept<u8, u8> = Kept::default();
        kept.put(1, 7, 0);
        assert_eq!(kept.get(&1, 0), Some(7));
        kept.entries.lock().unwrap().get_mut(&1).unwrap().read_at -= TTL;
        assert_eq!(kept.get(&1, 0), None);
    }

    #[test]
    fn the_kept_answers_stay_bounded() {
        let kept: Kept<usize, usize> = Kept::default();
        for key in 0..CAPACITY + 10 {
            kept.put(key, key, 0);
        }
        assert!(kept.entries.lock().unwrap().len() <= CAPACITY);
        assert_eq!(kept.get(&(CAPACITY + 9), 0), Some(CAPACITY + 9));
    }
}
