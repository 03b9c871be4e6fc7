//! Retention: the client's data are kept no longer than needed.
//!
//! After the partner confirmed a package (the mail server took it, or the worker confirmed a
//! draft went out), the worker may still need the data for a few days: the OCMW may call with a
//! question or report a mistake. After a configurable number of days (30 by default) the data
//! are purged; after a refusal or withdrawal they go at once (see [`crate::referral`] and
//! [`crate::withdrawal`]). A referral with anything still waiting in the outbox is not purged:
//! its package would lose its data on the way.
//!
//! Data that never went anywhere are not kept forever either: an unfinished draft goes after a
//! day, a consent without a package and a package stuck in the outbox (failed, needing
//! attention, possibly sent, an unconfirmed draft) after the same retention period, each with
//! an anonymous "purged" event. The worker may also delete those at once ([`discard`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Coded, FieldMessage};
use crate::ledger::{self, EventKind};
use crate::referral::{self, Status};
use crate::store::{Store, StoreError};
use crate::{consent, files, outbox, sealed};

/// Days the data stay after a confirmed send, unless the team sets otherwise.
pub const DEFAULT_DAYS: u32 = 30;
/// The longest the settings allow: retention is a limit, not an archive.
pub const MAX_DAYS: u32 = 365;
/// The shortest. A day lets the worker pass the password on after the send and resend a bounce,
/// and lets what has not gone yet (a greylisted mail, a draft for the mail program) go; wiped
/// the minute after the send, the OCMW would get a package it can never open.
pub const MIN_DAYS: u32 = 1;

/// The team's settings for what happens after sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RetentionSettings {
    pub days_after_send: u32,
    /// The team's data protection officer, to whom wrong-mailbox incidents are reported.
    pub dpo_email: String,
}

impl RetentionSettings {
    pub fn load(store: &Store) -> Result<Self, RetentionError> {
        Ok(store
            .conn()
            .query_row(
                "SELECT days_after_send, dpo_email FROM retention_settings WHERE id = 1",
                [],
                |r| {
                    Ok(Self {
                        // Before the shortest was a day, a team could set 0.
                        days_after_send: r.get::<_, u32>(0)?.max(MIN_DAYS),
                        dpo_email: r.get(1)?,
                    })
                },
            )
            .map_err(StoreError::from)?)
    }

    pub fn save(self, store: &Store) -> Result<Self, RetentionError> {
        let mut problems = Vec::new();
        if !(MIN_DAYS..=MAX_DAYS).contains(&self.days_after_send) {
            problems.push(FieldMessage {
                field: "days_after_send".into(),
                message: format!(
                    "Bewaartermijn: kies een aantal dagen van {MIN_DAYS} tot {MAX_DAYS} \
                     (standaard {DEFAULT_DAYS})."
                ),
            });
        }
        let dpo = self.dpo_email.trim().to_owned();
        if !dpo.is_empty() && !crate::contact::is_email(&dpo) {
            problems.push(FieldMessage {
                field: "dpo_email".into(),
                message: "E-mailadres van de DPO: vul een volledig adres in, zoals \
                          dpo@voorbeeld.be."
                    .into(),
            });
        }
        if !problems.is_empty() {
            return Err(RetentionError::Invalid(problems));
        }
        store
            .conn()
            .execute(
                "UPDATE retention_settings SET days_after_send = ?1, dpo_email = ?2 WHERE id = 1",
                (self.days_after_send, &dpo),
            )
            .map_err(StoreError::from)?;
        Self::load(store)
    }
}

/// How long an unfinished draft keeps the client's data: the visit is over by then.
pub const DRAFT_HOURS: i64 = 24;
/// How far ahead the home screen warns of a wipe.
pub const WARN_DAYS: i64 = 7;

/// Why a referral's data are wiped when their time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WipeReason {
    /// The package went out (or the worker confirmed it did) longer ago than the retention.
    Sent,
    /// The five points and the client's answer never came within a day.
    UnfinishedDraft,
    /// Consent was recorded but no package was ever made.
    NoPackage,
    /// A package stuck in the outbox (failed, needing attention, possibly sent, or a draft for
    /// the mail program never confirmed) for longer than the retention.
    Stuck,
}

impl WipeReason {
    /// The home screen's sentence.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Sent => "verzonden; de bewaartermijn loopt af",
            Self::UnfinishedDraft => "niet afgewerkt binnen 24 uur",
            Self::NoPackage => "toestemming zonder pakket",
            Self::Stuck => "raakte niet verzonden",
        }
    }
}

/// A referral whose data will be wiped, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Wipe {
    pub reference: String,
    pub reason: WipeReason,
    pub explanation: String,
    /// RFC 3339.
    pub at: String,
}

/// `(referral id, reference, reason, when the data go)`, for every referral that still holds
/// the client's data and whose retention has a date.
type Candidate = (i64, String, WipeReason, DateTime<FixedOffset>);

fn candidates(store: &Store) -> Result<Vec<Candidate>, RetentionError> {
    let days = Duration::days(i64::from(RetentionSettings::load(store)?.days_after_send));
    let conn = store.conn();
    let kept: BTreeMap<i64, referral::Kept> = referral::kept(conn)?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    // Times are RFC 3339 with the offset they were taken in: compare instants, not text.
    let at = |text: &str| DateTime::parse_from_rfc3339(text).ok();
    let mut found = Vec::new();
    for (id, sent_at) in outbox::sent_and_settled(store)? {
        if let (Some(k), Some(since)) = (kept.get(&id), at(&sent_at)) {
            found.push((id, k.reference.clone(), WipeReason::Sent, since + days));
        }
    }
    for k in kept.values().filter(|k| k.status == Status::Draft) {
        if let Some(since) = at(&k.created_at) {
            let wipe = since + Duration::hours(DRAFT_HOURS);
            found.push((k.id, k.reference.clone(), WipeReason::UnfinishedDraft, wipe));
        }
    }
    for k in kept.values().filter(|k| k.status == Status::Ready) {
        if sealed::exists_for(conn, k.id)? {
            continue;
        }
        if let Some(consent) = consent::stored(conn, k.id)? {
            let wipe = consent.given_at + days;
            found.push((k.id, k.reference.clone(), WipeReason::NoPackage, wipe));
        }
    }
    for (id, queued_at) in outbox::stuck_since(store)? {
        if let (Some(k), Some(since)) = (kept.get(&id), at(&queued_at)) {
            found.push((id, k.reference.clone(), WipeReason::Stuck, since + days));
        }
    }
    Ok(found)
}

/// Wipes the client's four fields of the referral `id` and everything made from them:
/// corrections' history, the archives and passwords of packages no longer on their way, and the
/// copies saved outside the store, and the hash of the text the client was shown (it covered
/// their data). What stays is the reference, the consent record (which names the worker, not
/// the client) and the anonymous ledger, with a "purged" event. Whether there was anything to
/// wipe.
///
/// Runs inside the caller's transaction; secure delete (set when the store opens) zeroes the
/// freed bytes, and the caller checkpoints the write-ahead log after committing.
pub(crate) fn purge(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    let wiped = referral::wipe_client(store.conn(), id, now)?;
    consent::forget_text(store.conn(), id)?;
    sealed::destroy_all_but(store.conn(), id, &outbox::unsettled_packages(store, id)?)?;
    let Some((recipient, reference)) = wiped else {
        return Ok(false);
    };
    files::delete_for_referral(store, &reference, now)?;
    ledger::record(store, EventKind::Purged, now, &recipient, Some(&reference))?;
    Ok(true)
}

/// The referrals whose data will be wiped within [`WARN_DAYS`], soonest first, for the home
/// screen.
pub fn upcoming(store: &Store, now: DateTime<FixedOffset>) -> Result<Vec<Wipe>, RetentionError> {
    let horizon = now + Duration::days(WARN_DAYS);
    let mut soon: Vec<Candidate> = candidates(store)?
        .into_iter()
        .filter(|(_, _, _, at)| *at <= horizon)
        .collect();
    soon.sort_by_key(|(_, _, _, at)| *at);
    Ok(soon
        .into_iter()
        .map(|(_, reference, reason, at)| Wipe {
            reference,
            reason,
            explanation: reason.explain().to_owned(),
            at: at.to_rfc3339(),
        })
        .collect())
}

/// Purges every referral whose retention has run out, in any state. Returns how many. Run by
/// the app every minute; it also tends the copies saved outside the store, each pass on its
/// own, so that one that fails (a folder that does not answer) holds back neither the wipe nor
/// the write-ahead log's emptying.
pub fn purge_due(store: &Store, now: DateTime<FixedOffset>) -> Result<u32, RetentionError> {
    // A save the app was stopped in is settled first, so its copy is known to what follows.
    let _ = files::settle_cut_off(store);
    let _ = files::retry_not_deleted(store, now);
    outbox::delete_copies_no_longer_needed(store, now);
    let purged = purge_expired(store, now);
    // Every round, also for a wipe whose log another process kept busy at the time.
    store.checkpoint_after_commit();
    purged
}

/// The wipe of [`purge_due`]: what outlived a referral first, then the referrals.
fn purge_expired(store: &Store, now: DateTime<FixedOffset>) -> Result<u32, RetentionError> {
    delete_late_copies(store, now)?;
    let due: Vec<(i64, WipeReason)> = candidates(store)?
        .into_iter()
        .filter(|(_, _, _, at)| *at <= now)
        .map(|(id, _, reason, _)| (id, reason))
        .collect();
    let mut purged = 0;
    if !due.is_empty() {
        let tx = store.transaction()?;
        for (id, reason) in due {
            if reason == WipeReason::Stuck {
                // Taken out of the outbox first, so the purge also deletes their archives.
                outbox::give_up(store, id, now)?;
            }
            if purge(store, id, now)? {
                purged += 1;
            }
        }
        tx.commit()?;
    }
    Ok(purged)
}

/// What outlives a referral's wipe goes too, once nothing of the referral waits in the outbox
/// any more and the retention period has passed since its last send: copies saved afterwards
/// (the draft of a withdrawal notice, a DPO notice), each once the period has also passed since
/// it was saved, and the archive of a withdrawal notice that was sent but never confirmed (a
/// sent package waits for its receipt at most that long).
///
/// What waits is a package whose item has something left to do and whose archive the store
/// still holds. An item left unsure whose archive went with the client's data (a package maybe
/// sent, a draft never confirmed, before the withdrawal or the purge) holds nothing back: it
/// can never go again, and waiting for the worker to settle it would keep the notice's archive,
/// which names the client, for as long as nobody does.
fn delete_late_copies(store: &Store, now: DateTime<FixedOffset>) -> Result<(), RetentionError> {
    let days = Duration::days(i64::from(RetentionSettings::load(store)?.days_after_send));
    let conn = store.conn();
    let last_sends: BTreeMap<i64, Option<String>> =
        outbox::last_sends(store)?.into_iter().collect();
    for (id, reference) in referral::purged(conn)? {
        let Some(last_sent) = last_sends.get(&id) else {
            continue;
        };
        let unsettled = outbox::unsettled_packages(store, id)?;
        let mut waits = false;
        for &package in &unsettled {
            waits |= sealed::archive_kept(conn, package)?;
        }
        let due = last_sent
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .is_none_or(|at| at + days <= now);
        if !waits && due {
            // A copy saved since (a DPO notice written long after the last send) has its own
            // period to run.
            crate::files::delete_for_referral_saved_by(store, &reference, now - days, now)?;
            sealed::destroy_all_but(conn, id, &unsettled)?;
        }
    }
    Ok(())
}

/// Why the worker deletes a referral that cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiscardReason {
    /// Typed by mistake, or for the wrong client.
    Mistake,
    /// Started twice for the same client.
    Duplicate,
    /// The client stopped before consenting.
    ClientStopped,
    /// The package cannot be delivered and will not be sent again.
    Undeliverable,
}

impl DiscardReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Mistake => "mistake",
            Self::Duplicate => "duplicate",
            Self::ClientStopped => "client_stopped",
            Self::Undeliverable => "undeliverable",
        }
    }
}

/// Whether "Verwijderen" may wipe a referral that is a candidate for `why` now: a draft, a
/// consent without a package, or a referral whose package failed or was refused. One whose
/// package went out, may have (possibly sent, a draft for the mail program) or is on its way is
/// not deleted but withdrawn, so the OCMW is told.
fn may_discard(store: &Store, id: i64, why: WipeReason) -> Result<bool, StoreError> {
    Ok(match why {
        WipeReason::Sent => false,
        WipeReason::Stuck => !outbox::may_have_reached(store, id)?,
        WipeReason::UnfinishedDraft | WipeReason::NoPackage => true,
    })
}

/// The referrals [`discard`] would wipe now, by id: the list offers "Verwijderen" for these
/// only.
pub fn discardable(store: &Store) -> Result<BTreeSet<i64>, RetentionError> {
    let mut ids = BTreeSet::new();
    for (id, _, why, _) in candidates(store)? {
        if may_discard(store, id, why)? {
            ids.insert(id);
        }
    }
    Ok(ids)
}

/// "Verwijderen": the worker wipes a referral that cannot go on, now (see [`may_discard`]).
pub fn discard(
    store: &Store,
    reference: &str,
    reason: DiscardReason,
    now: DateTime<FixedOffset>,
) -> Result<(), RetentionError> {
    let mut found = None;
    for (id, r, why, _) in candidates(store)? {
        if r == reference && may_discard(store, id, why)? {
            found = Some((id, why));
        }
    }
    let Some((id, kind)) = found else {
        return Err(RetentionError::NotDiscardable);
    };
    let tx = store.transaction()?;
    if kind == WipeReason::Stuck {
        outbox::give_up(store, id, now)?;
    }
    purge(store, id, now)?;
    store
        .conn()
        .execute(
            "INSERT INTO discard (reference, at, reason) VALUES (?1, ?2, ?3)",
            (reference, now.to_rfc3339(), reason.as_str()),
        )
        .map_err(StoreError::from)?;
    tx.commit()?;
    store.checkpoint_after_commit();
    Ok(())
}

/// Why the retention settings or purge failed.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "retention")]
pub enum RetentionError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    #[coded(fields)]
    Invalid(Vec<FieldMessage>),
    #[error(
        "Deze aanmelding kan niet verwijderd worden: ze is (mogelijk) verzonden of onderweg. Trek \
         de toestemming in als de cliënt dat vraagt, dan krijgt het OCMW het ook te horen; anders \
         wist Aanmelder de gegevens vanzelf na de bewaartermijn."
    )]
    NotDiscardable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
