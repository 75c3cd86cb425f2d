//! Signed-in sessions kept in memory for a moment, so a page's requests (the page, its
//! scripts, its fragments) do not each read the session, the roles and the area from the
//! database.
//!
//! An entry is good only while (a) the store's sign-in epoch is the one it was made at — a
//! sign-out, a password change, a disabled account or changed roles moves the epoch when its
//! transaction commits, on this instance at once and on every other through PostgreSQL's
//! notifications (`Store::follow_auth_changes`); (b) the session has not expired; (c) its idle
//! expiry does not need sliding yet (that is the database's, once a minute); and (d) it is at
//! most `Settings::session_cache_millis` old (2 s by default), which bounds what the epoch does
//! not cover: a region or contract changed under a user, or a command run in another process on
//! the same SQLite file.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::Actor;

/// Entries kept at most; past it the cache starts again (sessions are few, tokens long).
const MAX_ENTRIES: usize = 20_000;

struct Entry {
    actor: Actor,
    epoch: u64,
    made_at: i64,
    /// When the session's idle expiry must be slid again, or it ends.
    good_until: i64,
}

#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    /// The cached actor of a session (by its token's hash), if still good.
    pub fn get(&self, token_hash: &str, epoch: u64, now: i64, fresh_millis: i64) -> Option<Actor> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(token_hash)?;
        (entry.epoch == epoch && now < entry.good_until && now - entry.made_at < fresh_millis)
            .then(|| entry.actor.clone())
    }

    /// Keeps a session's actor read at `epoch` (read before the session was, so a change
    /// committed in between leaves the entry stale, never a stale entry current).
    pub fn put(&self, token_hash: &str, actor: &Actor, epoch: u64, now: i64, good_until: i64) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token_hash.to_string(),
            Entry {
                actor: actor.clone(),
                epoch,
                made_at: now,
                good_until,
            },
        );
    }
}
