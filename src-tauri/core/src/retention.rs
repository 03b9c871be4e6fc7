//! Retention: the client's data are kept no longer than needed.
//!
//! After the partner confirmed a package (the mail server took it, or the worker confirmed a
//! draft went out), the worker may still need the data for a few days: the OCMW may call with a
//! question or report a mistake. After a configurable number of days (30 by default) the data
//! are purged; after a refusal or withdrawal they go at once (see [`crate::referral`] and
//! [`crate::withdrawal`]). A referral with anything still waiting in the outbox is not purged:
//! its package would lose its data on the way.

use chrono::{DateTime, Duration, FixedOffset};
use email_address::EmailAddress;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Coded, FieldMessage};
use crate::referral;
use crate::store::{Store, StoreError};

/// Days the data stay after a confirmed send, unless the team sets otherwise.
pub const DEFAULT_DAYS: u32 = 30;
/// The longest the settings allow: retention is a limit, not an archive.
pub const MAX_DAYS: u32 = 365;

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
                        days_after_send: r.get(0)?,
                        dpo_email: r.get(1)?,
                    })
                },
            )
            .map_err(StoreError::from)?)
    }

    pub fn save(self, store: &Store) -> Result<Self, RetentionError> {
        let mut problems = Vec::new();
        if self.days_after_send > MAX_DAYS {
            problems.push(FieldMessage {
                field: "days_after_send".into(),
                message: format!(
                    "Bewaartermijn: kies een aantal dagen van 0 tot {MAX_DAYS} (standaard \
                     {DEFAULT_DAYS})."
                ),
            });
        }
        let dpo = self.dpo_email.trim().to_owned();
        if !dpo.is_empty() && !EmailAddress::is_valid(&dpo) {
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

/// Purges every referral whose retention has run out. Returns how many were purged.
pub fn purge_due(store: &Store, now: DateTime<FixedOffset>) -> Result<u32, RetentionError> {
    let settings = RetentionSettings::load(store)?;
    let cutoff = now - Duration::days(i64::from(settings.days_after_send));
    // sent_at is RFC 3339 with the offset it was taken in, so compare as instants, not text.
    let candidates: Vec<(i64, String)> = store
        .conn()
        .prepare(
            "SELECT r.id, o.sent_at FROM referral r
             JOIN package p ON p.referral_id = r.id AND p.kind = 'referral'
             JOIN outbox o ON o.package_id = p.id
             WHERE r.purged_at IS NULL AND o.state = 'sent' AND o.sent_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.referral_id = r.id
                 AND w.state IN ('queued', 'sending', 'failed', 'attention', 'maybe_sent',
                                 'drafted'))",
        )
        .map_err(StoreError::from)?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(StoreError::from)?
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)?;
    let due: Vec<i64> = candidates
        .into_iter()
        .filter(|(_, sent_at)| {
            DateTime::parse_from_rfc3339(sent_at).is_ok_and(|sent| sent <= cutoff)
        })
        .map(|(id, _)| id)
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(StoreError::from)?;
    let mut purged = 0;
    for id in due {
        if referral::purge(store, id, now)? {
            purged += 1;
        }
    }
    tx.commit().map_err(StoreError::from)?;
    store.checkpoint()?;
    Ok(purged)
}

/// Why the retention settings or purge failed.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldMessage>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for RetentionError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "retention.invalid",
            Self::Store(e) => e.code(),
        }
    }

    fn fields(&self) -> Vec<FieldMessage> {
        match self {
            Self::Invalid(problems) => problems.clone(),
            Self::Store(_) => Vec::new(),
        }
    }
}
