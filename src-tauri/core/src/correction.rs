//! Correction: the OCMW reports wrong data, the worker fixes them and sends a replacement.
//!
//! Only the four decretal fields can be edited (the form is [`ClientInput`], validated like a new
//! referral), always with a reason. The replacement package ("correctie") carries the same
//! reference and goes through the outbox like any package; it needs a protocol in force, since it
//! is a send of personal data. The referral keeps a history of what changed, when and by whom,
//! until its data are purged: the history holds client data, so it goes with them.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agreement::AgreementError;
use crate::error::{Coded, FieldMessage};
use crate::ledger::{self, EventKind};
use crate::package::{
    self, Contents, JSON_NAME, PDF_NAME, PackageError, PackageKind, PackageView, Packages, Sealing,
};
use crate::referral::{
    self, ClientData, ClientInput, InvalidClient, ReadyReferral, Reference, Referral, ReferralError,
};
use crate::residence::Gazetteer;
use crate::store::{Store, StoreError};

/// Longest reason kept; a sentence, not a file.
const MAX_REASON: usize = 300;

/// What the correction form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CorrectionInput {
    pub reference: Reference,
    pub client: ClientInput,
    /// Why: e.g. "OCMW meldt: huisnummer klopt niet".
    pub reason: String,
}

/// One changed field: its Dutch label, the old and the new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Change {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// One correction in the referral's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CorrectionEntry {
    pub at: String,
    pub worker: String,
    pub reason: String,
    pub changes: Vec<Change>,
}

/// Validates the corrected data, stores them with their history and queues the replacement.
pub fn correct(
    store: &Store,
    gazetteer: &Gazetteer,
    input: &CorrectionInput,
    now: DateTime<FixedOffset>,
) -> Result<PackageView, CorrectionError> {
    let ready = Referral::ready(store, gazetteer, &input.reference)?;
    if !crate::outbox::referral_package_left(store, ready.id)? {
        return Err(CorrectionError::NotSent(input.reference.clone()));
    }
    let mut problems = Vec::new();
    let reason = input.reason.trim();
    if reason.is_empty() {
        problems.push(FieldMessage {
            field: "reason".into(),
            message: "Reden: schrijf kort waarom je corrigeert, bijvoorbeeld \"OCMW meldt: \
                      huisnummer klopt niet\"."
                .into(),
        });
    } else if reason.chars().count() > MAX_REASON {
        problems.push(FieldMessage {
            field: "reason".into(),
            message: format!("Reden: gebruik hoogstens {MAX_REASON} tekens."),
        });
    }
    let validated = ClientData::validate(&input.client, gazetteer);
    let (client, recipient) = match validated {
        Ok(ok) => ok,
        Err(InvalidClient(mut more)) => {
            problems.append(&mut more);
            return Err(CorrectionError::Invalid(problems));
        }
    };
    if !problems.is_empty() {
        return Err(CorrectionError::Invalid(problems));
    }
    if recipient != ready.recipient {
        return Err(CorrectionError::OtherRecipient {
            now_for: gazetteer.recipient_name(&recipient),
            was_for: ready.recipient_name.clone(),
        });
    }
    let changes = changes(&ready.client, &client);
    if changes.is_empty() {
        return Err(CorrectionError::NoChange);
    }
    // A new first name and a new last name is another person, whose consent this referral
    // does not have: measured against the names consented to, so two corrections cannot do
    // it one at a time, and ignoring case and accents, which a correction may well fix.
    let first = consented_value(store, ready.id, FIRST_NAME, &ready.client.first_name)?;
    let last = consented_value(store, ready.id, LAST_NAME, &ready.client.last_name)?;
    if loose(&first) != loose(&client.first_name) && loose(&last) != loose(&client.last_name) {
        return Err(CorrectionError::OtherPerson);
    }
    let (agreement, referrer) = package::parties(store, ready.id)?;
    let protocol = agreement.in_force_on(now.date_naive())?;
    let worker = referrer.name.clone();
    let corrected = ReadyReferral {
        client: client.clone(),
        ..ready.clone()
    };
    let contents = Contents::compose(
        PackageKind::Correction,
        &corrected,
        &protocol,
        &agreement,
        referrer,
        now,
    )?;
    let pdf = contents.pdf()?;
    let json = contents.json()?;
    let password = package::fresh_password()?;
    let tx = store.transaction()?;
    referral::replace_client(&tx, ready.id, &client, now)?;
    let as_json = |c: &[Change], pick: fn(&Change) -> &str| {
        serde_json::to_string(
            &c.iter()
                .map(|ch| (ch.field.as_str(), pick(ch)))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| PackageError::Json(e.to_string()))
    };
    tx.execute(
        "INSERT INTO correction (referral_id, at, worker, reason, old_values, new_values)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            ready.id,
            now.to_rfc3339(),
            worker,
            reason,
            as_json(&changes, |c| &c.old)?,
            as_json(&changes, |c| &c.new)?,
        ],
    )
    .map_err(StoreError::from)?;
    package::store_sealed(
        store,
        &Sealing {
            referral_id: ready.id,
            recipient: &ready.recipient,
            reference: &ready.reference,
            kind: PackageKind::Correction,
            files: &[(PDF_NAME, &pdf), (JSON_NAME, &json)],
            password: &password,
        },
        now,
    )?;
    ledger::record_referral(
        store,
        EventKind::Corrected,
        now,
        &ready.recipient,
        &ready.reference,
    )?;
    tx.commit()?;
    // The replaced package's draft and copies would carry the old data.
    crate::outbox::delete_copies_no_longer_needed(store, now);
    // The old values are no longer needed in the database file or its log.
    store.checkpoint_after_commit();
    Packages::new(store, gazetteer)
        .view(&ready.reference, now)?
        .ok_or(CorrectionError::Package(PackageError::NotBuilt))
}

/// The fields that differ, with Dutch labels, in form order.
/// The value of `field` as it was at consent: the "before" of the first correction that
/// changed it, or `current` if none did.
fn consented_value(
    store: &Store,
    referral_id: i64,
    field: &str,
    current: &str,
) -> Result<String, CorrectionError> {
    Ok(earlier_values(store.conn(), referral_id)?
        .into_iter()
        .find(|(f, _)| f == field)
        .map_or_else(|| current.to_owned(), |(_, value)| value))
}

/// What the client's data were before each correction of the referral `referral_id`, oldest
/// first, as `(label, value)` with the labels of [`Change::field`]: still client data, kept
/// until the referral is purged.
pub(crate) fn earlier_values(
    conn: &rusqlite::Connection,
    referral_id: i64,
) -> Result<Vec<(String, String)>, CorrectionError> {
    let olds: Vec<String> = conn
        .prepare("SELECT old_values FROM correction WHERE referral_id = ?1 ORDER BY id")
        .map_err(StoreError::from)?
        .query_map([referral_id], |r| r.get(0))
        .map_err(StoreError::from)?
        .collect::<Result<_, _>>()
        .map_err(StoreError::from)?;
    let mut values = Vec::new();
    for old in olds {
        let pairs: Vec<(String, String)> =
            serde_json::from_str(&old).map_err(|_| CorrectionError::Corrupt)?;
        values.extend(pairs);
    }
    Ok(values)
}

/// A name without case, accents, spaces, hyphens and apostrophes: "Zoë Müller" and "zoe
/// muller", "Van den Berg" and "Vandenberg", "Marie-Anne" and "Marie Anne" are the same person.
fn loose(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    name.nfd()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The labels of the fields a correction changes ([`Change::field`]); the address is the whole
/// of it, as [`crate::client::Address`] writes it.
pub(crate) const FIRST_NAME: &str = "Voornaam";
pub(crate) const LAST_NAME: &str = "Achternaam";
pub(crate) const ADDRESS: &str = "Adres";
pub(crate) const PHONE: &str = "Telefoon";
pub(crate) const EMAIL: &str = "E-mail";

fn changes(old: &ClientData, new: &ClientData) -> Vec<Change> {
    let none = String::new;
    let pairs = [
        (FIRST_NAME, old.first_name.clone(), new.first_name.clone()),
        (LAST_NAME, old.last_name.clone(), new.last_name.clone()),
        (ADDRESS, old.address.to_string(), new.address.to_string()),
        (
            PHONE,
            old.phone.clone().unwrap_or_else(none),
            new.phone.clone().unwrap_or_else(none),
        ),
        (
            EMAIL,
            old.email.clone().unwrap_or_else(none),
            new.email.clone().unwrap_or_else(none),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, o, n)| o != n)
        .map(|(field, old, new)| Change {
            field: field.into(),
            old,
            new,
        })
        .collect()
}

/// The corrections of a referral, oldest first; empty once its data are purged.
pub fn history(
    store: &Store,
    reference: &Reference,
) -> Result<Vec<CorrectionEntry>, CorrectionError> {
    let Some((id, _)) = referral::id_and_recipient(store.conn(), reference)? else {
        return Ok(Vec::new());
    };
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT at, worker, reason, old_values, new_values
             FROM correction WHERE referral_id = ?1 ORDER BY id",
        )
        .map_err(StoreError::from)?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(StoreError::from)?;
    let mut entries = Vec::new();
    for row in rows {
        let (at, worker, reason, old, new) = row.map_err(StoreError::from)?;
        let parse = |text: &str| {
            serde_json::from_str::<Vec<(String, String)>>(text)
                .map_err(|_| CorrectionError::Corrupt)
        };
        let changes = parse(&old)?
            .into_iter()
            .zip(parse(&new)?)
            .map(|((field, old), (_, new))| {
                // Stored as dialled (+3214…); read as a person writes it (014 …).
                let shown = |value: String| match field.as_str() {
                    PHONE if !value.is_empty() => crate::contact::shown(&value),
                    _ => value,
                };
                Change {
                    old: shown(old),
                    new: shown(new),
                    field,
                }
            })
            .collect();
        entries.push(CorrectionEntry {
            at,
            worker,
            reason,
            changes,
        });
    }
    Ok(entries)
}

/// Why a correction could not be made.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "correction")]
pub enum CorrectionError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    #[coded(fields)]
    Invalid(Vec<FieldMessage>),
    #[error(
        "Aanmelding {0} is nog niet verzonden. Er is dus niets te corrigeren bij het OCMW; een \
         aanmelding die nog niet vertrok, trek je in en maak je opnieuw."
    )]
    NotSent(Reference),
    #[error(
        "Het nieuwe adres hoort bij {now_for}, niet bij {was_for}. Een correctie gaat naar \
         dezelfde ontvanger: trek deze aanmelding in en maak een nieuwe, met toestemming voor \
         {now_for}."
    )]
    #[coded(field = "postal_code")]
    OtherRecipient { now_for: String, was_for: String },
    #[error("Er is niets veranderd. Pas de gegevens aan die niet klopten.")]
    NoChange,
    #[error(
        "Voornaam en achternaam zijn allebei anders dan bij de toestemming: dat is een andere \
         persoon. Een correctie verbetert er één van de twee (hoofdletters, accenten, spaties en \
         koppeltekens tellen niet mee). Gaat het om iemand anders, start dan een nieuwe \
         aanmelding met een nieuwe toestemming."
    )]
    #[coded(field = "first_name")]
    OtherPerson,
    #[error("De geschiedenis van de correcties is onleesbaar.")]
    Corrupt,
    #[error(transparent)]
    Referral(#[from] ReferralError),
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
