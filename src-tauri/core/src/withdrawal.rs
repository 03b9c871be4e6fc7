//! Withdrawal: the client takes consent back, and the worker records it in one step.
//!
//! Withdrawing must be at least as easy as consenting (GDPR art. 7(3)), so one call does all of
//! it, in one transaction: whatever has not gone out yet is taken out of the outbox; if the OCMW
//! may already have the data (sent, possibly sent, or handed to the worker's mail program), a
//! withdrawal notice is queued to the same mailbox, like a package (domain.md, "After sending");
//! and the client's data are wiped at once. What stays is the reference, the date and how the
//! client said it, and anonymous events.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Coded, FieldMessage};
use crate::ledger::{self, EventKind};
use crate::package::notice::{self, Notice};
use crate::package::{self, PackageError, PackageKind, PackageView, Packages, Sealing};
use crate::referral::{Reference, Referral, ReferralError, Status};
use crate::residence::Gazetteer;
use crate::store::{Store, StoreError};

/// How the client made the withdrawal known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum How {
    InPerson,
    Phone,
    Mail,
    Letter,
}

impl How {
    fn as_str(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Phone => "phone",
            Self::Mail => "mail",
            Self::Letter => "letter",
        }
    }
}

/// What the withdrawal form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WithdrawalInput {
    pub reference: Reference,
    /// `YYYY-MM-DD`: the day the client said it.
    pub said_on: String,
    pub how: How,
}

/// What the withdrawal did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Withdrawn {
    pub reference: Reference,
    /// The notice for the OCMW, when it may already have had the data: its password must be
    /// passed on like a package's.
    pub notice: Option<PackageView>,
    /// How many unsent packages were taken out of the outbox.
    pub cancelled: u32,
}

/// Records a withdrawal for a referral with consent.
pub fn withdraw(
    store: &Store,
    gazetteer: &Gazetteer,
    input: &WithdrawalInput,
    now: DateTime<FixedOffset>,
) -> Result<Withdrawn, WithdrawalError> {
    let referral = Referral::get(store, gazetteer, &input.reference)?;
    if referral.status != Status::Ready {
        return Err(WithdrawalError::NoConsent(input.reference.clone()));
    }
    if referral.withdrawn_on.is_some() {
        return Err(WithdrawalError::Already(input.reference.clone()));
    }
    let said_on = said_on(&input.said_on, &referral, now)?;
    let tx = store.transaction()?;
    let crate::outbox::Cancelled { reached, cancelled } =
        crate::outbox::cancel_unsent(store, referral.id, now)?;
    if reached {
        queue_notice(store, &referral, said_on, now)?;
    }
    if !crate::referral::mark_withdrawn(&tx, referral.id, said_on, now)? {
        return Err(WithdrawalError::Already(input.reference.clone()));
    }
    tx.execute(
        "INSERT INTO withdrawal (referral_id, how, recorded_at, notice) VALUES (?1, ?2, ?3, ?4)",
        (referral.id, input.how.as_str(), now.to_rfc3339(), reached),
    )
    .map_err(StoreError::from)?;
    ledger::record_referral(
        store,
        EventKind::Withdrawn,
        now,
        &referral.recipient,
        &referral.reference,
    )?;
    crate::retention::purge(store, referral.id, now)?;
    tx.commit()?;
    store.checkpoint_after_commit();
    let notice = if reached {
        Packages::new(store, gazetteer).view(&referral.reference, now)?
    } else {
        None
    };
    Ok(Withdrawn {
        reference: referral.reference,
        notice,
        cancelled,
    })
}

fn said_on(
    text: &str,
    referral: &Referral,
    now: DateTime<FixedOffset>,
) -> Result<NaiveDate, WithdrawalError> {
    let invalid = |message: &str| {
        WithdrawalError::Invalid(FieldMessage {
            field: "said_on".into(),
            message: message.into(),
        })
    };
    let day = crate::day::parse(text).ok_or_else(|| {
        invalid(
            "Datum van de intrekking: typ de datum als dd/mm/jjjj, bijvoorbeeld die van vandaag.",
        )
    })?;
    if day > now.date_naive() {
        return Err(invalid(
            "Datum van de intrekking: die ligt in de toekomst. Vul de dag in waarop de cliënt het \
             zei.",
        ));
    }
    if day < referral.created_at.date_naive() {
        return Err(invalid(
            "Datum van de intrekking: die ligt vóór de aanmelding. Vul de dag in waarop de cliënt \
             het zei.",
        ));
    }
    Ok(day)
}

fn queue_notice(
    store: &Store,
    referral: &Referral,
    said_on: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<(), WithdrawalError> {
    // The OCMW must hear of it even after the protocol ended: only the agreement's mailbox is
    // needed, not a protocol in force.
    let (agreement, referrer) = package::parties(store, referral.id)?;
    let notice = Notice::new(
        referral.reference.clone(),
        &referral.recipient,
        &agreement,
        referral.client.as_ref().map(|c| c.full_name()),
        said_on,
        referrer,
        now,
    );
    let pdf = notice.pdf()?;
    let json = notice.json()?;
    let password = package::fresh_password()?;
    package::store_sealed(
        store,
        &Sealing {
            referral_id: referral.id,
            recipient: &referral.recipient,
            reference: &referral.reference,
            kind: PackageKind::Withdrawal,
            files: &[(notice::PDF_NAME, &pdf), (notice::JSON_NAME, &json)],
            password: &password,
        },
        now,
    )?;
    Ok(())
}

/// Why a withdrawal could not be recorded.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "withdrawal")]
pub enum WithdrawalError {
    #[error("{}", .0.message)]
    #[coded(field = "said_on")]
    Invalid(FieldMessage),
    #[error(
        "Voor aanmelding {0} is geen toestemming genoteerd: er is niets in te trekken. Een \
         aanmelding zonder toestemming wordt nooit verzonden."
    )]
    NoConsent(Reference),
    #[error("De toestemming voor aanmelding {0} is al ingetrokken.")]
    Already(Reference),
    #[error(transparent)]
    Referral(#[from] ReferralError),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
