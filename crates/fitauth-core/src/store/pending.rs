//! Sign-ins started and not finished, kept so that another process (or this one after a
//! restart) can finish them, and taken by exactly one: [`Store::take_pending`] removes the record
//! and its verifier under the metadata lock, so of two programs handed the same redirect (the
//! desktop app and `fitauth login`), one gets the sign-in and the other gets nothing. A second
//! exchange of the same code would be a replay, which makes the provider revoke the first one's
//! tokens (RFC 6749 §4.1.2, <https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2>).

use super::model::Metadata;
use super::model::OutcomeStatus;
use super::{PendingRecord, SecretKey, SignInOutcome, SignInStatus, Store};
use crate::authorize::PENDING_LIFETIME_SECS;
use crate::clock::now_unix;
use crate::error::Error;
use crate::secret::PkceVerifier;

impl Store {
    /// Keeps a started sign-in. Its verifier goes to the keyring, the rest to the file. Expired
    /// ones are dropped on the way.
    pub fn save_pending(&self, record: &PendingRecord) -> Result<(), Error> {
        self.update(|meta, store| {
            store.prune_pending(meta)?;
            let state = record.authorization.state.as_str().to_owned();
            if let Some(verifier) = &record.authorization.verifier {
                store.set_secret(
                    meta,
                    SecretKey::PkceVerifier { state: &state },
                    verifier.secret(),
                )?;
            }
            let mut stored = record.clone();
            stored.authorization.verifier = None;
            meta.pending
                .retain(|p| p.authorization.state.as_str() != state);
            meta.pending.push(stored);
            Ok(())
        })
    }

    /// Takes the unexpired pending sign-in with this `state` off the store, verifier restored
    /// from the keyring, and notes it as in progress: exactly one caller, in any process, gets
    /// it. States are compared in constant time.
    pub fn take_pending(&self, state: &str) -> Result<Option<PendingRecord>, Error> {
        self.update(|meta, store| {
            let now = now_unix();
            let Some(index) = meta.pending.iter().position(|p| live(p, state, now)) else {
                return Ok(None);
            };
            let mut record = meta.pending.remove(index);
            let key = SecretKey::PkceVerifier { state };
            if let Some(v) = store.get_secret(meta, key)? {
                record.authorization.verifier = Some(PkceVerifier::new(v));
            }
            store.delete_secret(meta, key)?;
            set_outcome(meta, state, OutcomeStatus::InProgress);
            Ok(Some(record))
        })
    }

    /// Forgets a pending sign-in (cancelled) and its verifier, leaving no outcome: a late
    /// redirect for it is refused like any stranger's. Returns whether there was one.
    pub fn drop_pending(&self, state: &str) -> Result<bool, Error> {
        self.update(|meta, store| {
            let before = meta.pending.len();
            meta.pending
                .retain(|p| !p.authorization.state.matches(state));
            store.delete_secret(meta, SecretKey::PkceVerifier { state })?;
            meta.outcomes.retain(|o| o.state != state);
            Ok(meta.pending.len() != before)
        })
    }

    /// What became of the sign-in `state`, from one reading of the file.
    pub fn sign_in_status(&self, state: &str) -> Result<SignInStatus, Error> {
        let meta = self.load()?;
        let now = now_unix();
        if meta.pending.iter().any(|p| live(p, state, now)) {
            return Ok(SignInStatus::Waiting);
        }
        Ok(meta
            .outcomes
            .into_iter()
            .find(|o| o.state == state && recent(o, now))
            .map(|o| SignInStatus::Ended(o.status))
            .unwrap_or(SignInStatus::Unknown))
    }

    /// Whether a pending sign-in with this `state` exists but has expired.
    pub fn pending_expired(&self, state: &str) -> Result<bool, Error> {
        let now = now_unix();
        Ok(self
            .load()?
            .pending
            .iter()
            .any(|p| p.authorization.state.matches(state) && p.authorization.is_expired_at(now)))
    }

    /// All unexpired pending sign-ins (without verifiers), newest last.
    pub fn list_pending(&self) -> Result<Vec<PendingRecord>, Error> {
        let now = now_unix();
        Ok(self
            .load()?
            .pending
            .into_iter()
            .filter(|p| !p.authorization.is_expired_at(now))
            .collect())
    }

    /// Remembers for ten minutes what became of the sign-in `state`.
    pub fn record_outcome(&self, state: &str, status: OutcomeStatus) -> Result<(), Error> {
        self.update(|meta, store| {
            store.prune_pending(meta)?;
            set_outcome(meta, state, status);
            Ok(())
        })
    }

    /// Drops expired sign-ins (and their verifiers) and old outcomes.
    fn prune_pending(&self, meta: &mut Metadata) -> Result<(), Error> {
        let now = now_unix();
        let expired: Vec<String> = meta
            .pending
            .iter()
            .filter(|p| p.authorization.is_expired_at(now))
            .map(|p| p.authorization.state.as_str().to_owned())
            .collect();
        for state in &expired {
            self.delete_secret(meta, SecretKey::PkceVerifier { state })?;
        }
        meta.pending.retain(|p| !p.authorization.is_expired_at(now));
        meta.outcomes.retain(|o| recent(o, now));
        Ok(())
    }
}

/// The unexpired pending sign-in with this `state` (compared in constant time).
fn live(p: &PendingRecord, state: &str, now: i64) -> bool {
    p.authorization.state.matches(state) && !p.authorization.is_expired_at(now)
}

/// An outcome still worth telling (ten minutes, a pending sign-in's lifetime).
fn recent(o: &SignInOutcome, now: i64) -> bool {
    now - o.at < PENDING_LIFETIME_SECS
}

fn set_outcome(meta: &mut Metadata, state: &str, status: OutcomeStatus) {
    meta.outcomes.retain(|o| o.state != state);
    meta.outcomes.push(SignInOutcome {
        state: state.to_owned(),
        at: now_unix(),
        status,
    });
}
