//! A referral: one client's four decretal fields, for one recipient, and where it stands.
//!
//! Decree art. 10/1 allows exactly four identification data: name, address, phone and e-mail.
//! [`ClientData`] has room for those and nothing else (no national register number, birth date,
//! notes or children), and every value in it has passed validation. A referral becomes ready to
//! send only through [`Referral::mark_ready`], which takes a [`ConsentRecord`] and an
//! [`ActiveProtocol`]: both can only be made by the modules that check them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{OptionalExtension as _, Row, ToSql};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agreement::{ActiveProtocol, Agreement, AgreementError};
use crate::consent::{self, ConsentRecord, ConsentSummary};
// The client's data and the reference have their own modules; a referral is made of them.
pub use crate::client::{Address, ClientData, ClientInput, InvalidClient};
use crate::error::Coded;
pub use crate::error::FieldMessage;
use crate::ledger::{self, EventKind};
pub use crate::reference::Reference;
use crate::residence::{Gazetteer, Recipient};
use crate::store::{Store, StoreError};

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Status {
    /// Client data entered; the five points and the client's answer are still to come.
    Draft,
    /// The client said no. No personal data are kept.
    Refused,
    /// Consent recorded under a protocol in force: ready for the package and the outbox.
    Ready,
}

impl Status {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "refused" => Some(Self::Refused),
            "ready" => Some(Self::Ready),
            _ => None,
        }
    }
}

/// A referral as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Referral {
    #[ts(type = "number")]
    pub id: i64,
    pub reference: Reference,
    pub recipient: Recipient,
    pub recipient_name: String,
    pub status: Status,
    #[ts(type = "string")]
    pub created_at: DateTime<FixedOffset>,
    /// `None` once purged, and always for a refusal.
    pub client: Option<ClientData>,
    /// The day the client withdrew consent, if they did.
    pub withdrawn_on: Option<String>,
    /// When the client's data were wiped (refusal, withdrawal, end of retention).
    pub purged_at: Option<String>,
}

/// A referral with the client's consent, recorded under a protocol: the only thing a package can
/// be made from. Only [`Referral::ready`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyReferral {
    pub id: i64,
    pub reference: Reference,
    pub recipient: Recipient,
    pub recipient_name: String,
    pub client: ClientData,
    pub consent: ConsentSummary,
}

impl Referral {
    /// Stores a new draft. From here on a crash loses nothing the worker typed.
    pub fn create_draft(
        store: &Store,
        gazetteer: &Gazetteer,
        client: &ClientData,
        protocol: &ActiveProtocol,
        now: DateTime<FixedOffset>,
    ) -> Result<Self, ReferralError> {
        let recipient = protocol.recipient();
        let reference = Reference::generate()?;
        let tx = store.transaction()?;
        tx.execute(
            &format!(
                "INSERT INTO referral (reference, recipient, status, created_at, updated_at,
                   agreement_id, {})
                 VALUES (?1, ?2, 'draft', ?3, ?3, ?4, {})",
                CLIENT_COLUMNS.join(", "),
                placeholders(5),
            ),
            rusqlite::params_from_iter(
                [
                    &reference.as_str() as &dyn ToSql,
                    &recipient.key(),
                    &now.to_rfc3339(),
                    &protocol.agreement_id(),
                ]
                .into_iter()
                .chain(client_values(client)),
            ),
        )
        .map_err(StoreError::from)?;
        ledger::record_referral(store, EventKind::Created, now, recipient, &reference)?;
        tx.commit()?;
        Self::get(store, gazetteer, &reference)
    }

    pub fn get(
        store: &Store,
        gazetteer: &Gazetteer,
        reference: &Reference,
    ) -> Result<Self, ReferralError> {
        let row = store
            .conn()
            .query_row(
                &format!("{SELECT} WHERE reference = ?1"),
                [reference.as_str()],
                |r| from_row(r, gazetteer),
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or_else(|| ReferralError::NotFound(reference.clone()))?;
        named(store, row)
    }

    /// All referrals, newest first.
    pub fn list(store: &Store, gazetteer: &Gazetteer) -> Result<Vec<Self>, ReferralError> {
        let mut stmt = store
            .conn()
            .prepare(&format!("{SELECT} ORDER BY created_at DESC, id DESC"))
            .map_err(StoreError::from)?;
        let rows: Vec<_> = stmt
            .query_map([], |r| from_row(r, gazetteer))
            .map_err(StoreError::from)?
            .collect::<Result<_, _>>()
            .map_err(StoreError::from)?;
        rows.into_iter().map(|row| named(store, row)).collect()
    }

    /// The referral with its consent record, if consent was given and the data are still kept.
    pub fn ready(
        store: &Store,
        gazetteer: &Gazetteer,
        reference: &Reference,
    ) -> Result<ReadyReferral, ReferralError> {
        let referral = Self::get(store, gazetteer, reference)?;
        let client = match (referral.status, referral.client) {
            (Status::Ready, Some(client)) => client,
            _ => return Err(ReferralError::NotReady(reference.clone())),
        };
        let consent = consent::stored(store.conn(), referral.id)?
            .ok_or_else(|| ReferralError::NotReady(reference.clone()))?;
        Ok(ReadyReferral {
            id: referral.id,
            reference: referral.reference,
            recipient: referral.recipient,
            recipient_name: referral.recipient_name,
            client,
            consent,
        })
    }

    /// The client said no: the personal data go at once, only an anonymous event stays.
    /// `explained`: whether all five points had been ticked as explained before.
    pub fn refuse(
        store: &Store,
        reference: &Reference,
        explained: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<(), ReferralError> {
        let tx = store.transaction()?;
        let (recipient, wiped): (String, bool) = tx
            .query_row(
                "SELECT recipient, purged_at IS NOT NULL FROM referral
                 WHERE reference = ?1 AND status = 'draft'",
                [reference.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or_else(|| ReferralError::NotADraft(reference.clone()))?;
        if wiped {
            // Wiped before the answer: nothing is recorded, as for a consent.
            return Err(ReferralError::Wiped(reference.clone()));
        }
        tx.execute(
            &format!(
                "UPDATE referral SET status = 'refused', updated_at = ?2, purged_at = ?2, {}
                 WHERE reference = ?1",
                cleared_client()
            ),
            (reference.as_str(), now.to_rfc3339()),
        )
        .map_err(StoreError::from)?;
        // The yearly counts need "a refusal (after the five points, if all were explained), for
        // this partner, at this time": nothing that leads back to the client, not even the
        // reference.
        if explained {
            ledger::record(store, EventKind::Explained, now, &recipient, None)?;
        }
        ledger::record(store, EventKind::Refused, now, &recipient, None)?;
        tx.commit()?;
        // As after a withdrawal or purge: the zeroed pages must not live on in the log.
        store.checkpoint_after_commit();
        Ok(())
    }

    /// Records consent and makes the referral ready to send. Needs the consent record made after
    /// the five points and the proof of a protocol in force; both must be for this referral's
    /// recipient.
    pub fn mark_ready(
        store: &Store,
        consent: &ConsentRecord,
        protocol: &ActiveProtocol,
    ) -> Result<(), ReferralError> {
        if consent.recipient() != protocol.recipient() {
            return Err(ReferralError::RecipientMismatch);
        }
        let tx = store.transaction()?;
        let (id, recipient, chosen): (i64, String, Option<i64>) = tx
            .query_row(
                "SELECT id, recipient, agreement_id FROM referral
                 WHERE reference = ?1 AND status = 'draft'",
                [consent.reference().as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or_else(|| ReferralError::NotADraft(consent.reference().clone()))?;
        // The partner chosen for the draft is the one the five points named.
        if recipient != consent.recipient().key()
            || chosen.is_some_and(|chosen| chosen != protocol.agreement_id())
        {
            return Err(ReferralError::RecipientMismatch);
        }
        let at = consent.given_at().to_rfc3339();
        let relied_on = consent::ReliedOn {
            agreement_id: protocol.agreement_id(),
            version: protocol.version(),
            sha256: protocol.version_sha256(),
        };
        consent::record(&tx, id, consent, &relied_on)?;
        tx.execute(
            "UPDATE referral SET status = 'ready', updated_at = ?2 WHERE id = ?1",
            (id, &at),
        )
        .map_err(StoreError::from)?;
        for kind in [EventKind::Explained, EventKind::Consented] {
            ledger::record(
                store,
                kind,
                consent.given_at(),
                &recipient,
                Some(consent.reference().as_str()),
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// The id and the recipient's key of the referral `reference`: how the modules that keep rows
/// of a referral find them, without reading this module's table.
pub(crate) fn id_and_recipient(
    conn: &rusqlite::Connection,
    reference: &Reference,
) -> Result<Option<(i64, String)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id, recipient FROM referral WHERE reference = ?1",
            [reference.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// A referral that still holds the client's data, as the retention sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kept {
    pub id: i64,
    pub reference: String,
    pub status: Status,
    /// RFC 3339.
    pub created_at: String,
}

/// Every referral that still holds the client's data.
pub(crate) fn kept(conn: &rusqlite::Connection) -> Result<Vec<Kept>, StoreError> {
    let rows: Vec<(i64, String, String, String)> = conn
        .prepare("SELECT id, reference, status, created_at FROM referral WHERE purged_at IS NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, reference, status, created_at)| {
            Ok(Kept {
                id,
                reference,
                status: Status::parse(&status)
                    .ok_or_else(|| StoreError::Sqlite("onbekende status".into()))?,
                created_at,
            })
        })
        .collect()
}

/// The id and reference of every referral whose data were wiped.
pub(crate) fn purged(conn: &rusqlite::Connection) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(conn
        .prepare("SELECT id, reference FROM referral WHERE purged_at IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The reference and the recipient's key of the referral `id`.
pub(crate) fn reference_and_recipient(
    conn: &rusqlite::Connection,
    id: i64,
) -> Result<Option<(Reference, String)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT reference, recipient FROM referral WHERE id = ?1",
            [id],
            |r| Ok((Reference::stored(r.get(0)?), r.get(1)?)),
        )
        .optional()?)
}

/// The client's first and last name, street, e-mail and phone as still stored for the referral
/// `id` (each `None` once purged): what a note must not repeat.
pub(crate) fn name_street_email_phone(
    conn: &rusqlite::Connection,
    id: i64,
) -> Result<Option<[Option<String>; 5]>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT first_name, last_name, street, email, phone FROM referral WHERE id = ?1",
            [id],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
        )
        .optional()?)
}

/// Replaces the client's four data of the referral `id` by a correction's, in the caller's
/// transaction (the one that records the correction).
pub(crate) fn replace_client(
    conn: &rusqlite::Connection,
    id: i64,
    client: &ClientData,
    now: DateTime<FixedOffset>,
) -> Result<(), StoreError> {
    let set: Vec<String> = (3..)
        .zip(CLIENT_COLUMNS)
        .map(|(i, column)| format!("{column} = ?{i}"))
        .collect();
    conn.execute(
        &format!(
            "UPDATE referral SET {}, updated_at = ?2 WHERE id = ?1",
            set.join(", ")
        ),
        rusqlite::params_from_iter(
            [&id as &dyn ToSql, &now.to_rfc3339()]
                .into_iter()
                .chain(client_values(client)),
        ),
    )?;
    Ok(())
}

/// Records the day the client withdrew consent for the referral `id`, in the caller's
/// transaction ([`crate::withdrawal::withdraw`] records the rest). Once only: `false` when a day
/// was already recorded.
pub(crate) fn mark_withdrawn(
    conn: &rusqlite::Connection,
    id: i64,
    said_on: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE referral SET withdrawn_on = ?2, updated_at = ?3
         WHERE id = ?1 AND withdrawn_on IS NULL",
        (id, said_on.to_string(), now.to_rfc3339()),
    )? == 1)
}

/// Whether the client withdrew consent for the referral `id`: then none of its packages with
/// the client's data may go out any more, whatever state the outbox left them in.
pub(crate) fn is_withdrawn(conn: &rusqlite::Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT withdrawn_on IS NOT NULL FROM referral WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

/// Wipes the client's four fields of the referral `id` (and, by the store's own trigger, the
/// corrections' history made from them); returns its recipient and reference when there was
/// anything left to wipe. The whole purge, with the packages and saved copies, is
/// [`crate::retention::purge`].
pub(crate) fn wipe_client(
    conn: &rusqlite::Connection,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<Option<(String, String)>, StoreError> {
    let changed = conn.execute(
        &format!(
            "UPDATE referral SET {}, purged_at = ?2, updated_at = ?2
             WHERE id = ?1 AND purged_at IS NULL",
            cleared_client()
        ),
        (id, now.to_rfc3339()),
    )?;
    if changed == 0 {
        return Ok(None);
    }
    Ok(Some(conn.query_row(
        "SELECT recipient, reference FROM referral WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?))
}

/// The columns that hold the client's four data: what a draft writes, a correction replaces,
/// and a refusal or purge wipes. Named once, so a column cannot be missed in one of them.
const CLIENT_COLUMNS: [&str; 9] = [
    "first_name",
    "last_name",
    "street",
    "house_number",
    "box",
    "postal_code",
    "municipality_code",
    "phone",
    "email",
];

/// The client's values, in the order of [`CLIENT_COLUMNS`].
fn client_values(client: &ClientData) -> [&dyn ToSql; 9] {
    let a = &client.address;
    [
        &client.first_name,
        &client.last_name,
        &a.street,
        &a.house_number,
        &a.r#box,
        &a.postal_code,
        &a.municipality_code,
        &client.phone,
        &client.email,
    ]
}

/// `?from, ?from+1, …` for the client's values.
fn placeholders(from: usize) -> String {
    (from..from + CLIENT_COLUMNS.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `first_name = NULL, …`: the SET clause that wipes the client's values.
fn cleared_client() -> String {
    CLIENT_COLUMNS.map(|c| format!("{c} = NULL")).join(", ")
}

const SELECT: &str = "SELECT id, reference, recipient, status, created_at, first_name, last_name,
    street, house_number, box, postal_code, municipality_code, phone, email,
    withdrawn_on, purged_at
    FROM referral";

/// The partner a referral goes to: the one its consent relied on, or the one chosen for its
/// draft.
pub fn partner(store: &Store, referral_id: i64) -> Result<Agreement, AgreementError> {
    let relied_on = consent::stored(store.conn(), referral_id)?.map(|c| c.agreement_id);
    let id = match relied_on {
        Some(id) => Some(id),
        None => store
            .conn()
            .query_row(
                "SELECT agreement_id FROM referral WHERE id = ?1",
                [referral_id],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .map_err(StoreError::from)?
            .flatten(),
    };
    Agreement::get(store, id.ok_or(AgreementError::NotFound)?)
}

/// Brussels may have several CAWs: the client hears the name of the one the referral goes to.
fn named(store: &Store, mut referral: Referral) -> Result<Referral, ReferralError> {
    if referral.recipient == Recipient::CawBrussel {
        match partner(store, referral.id) {
            Ok(partner) => referral.recipient_name = partner.name,
            Err(AgreementError::Store(e)) => return Err(e.into()),
            // None chosen, or gone from the register: the gazetteer's name.
            Err(_) => {}
        }
    }
    Ok(referral)
}

fn from_row(r: &Row<'_>, gazetteer: &Gazetteer) -> rusqlite::Result<Referral> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("ongeldige {what}").into(),
        )
    };
    let reference: String = r.get(1)?;
    let recipient: String = r.get(2)?;
    let recipient = Recipient::from_key(&recipient).ok_or_else(|| bad(2, "ontvanger"))?;
    let status: String = r.get(3)?;
    let created: String = r.get(4)?;
    let first_name: Option<String> = r.get(5)?;
    let client = match first_name {
        None => None,
        Some(first_name) => {
            let municipality_code: String = r.get(11)?;
            let municipality = gazetteer
                .municipality(&municipality_code)
                .map(|m| m.name_nl.clone())
                .unwrap_or_default();
            Some(ClientData {
                first_name,
                last_name: r.get(6)?,
                address: Address {
                    street: r.get(7)?,
                    house_number: r.get(8)?,
                    r#box: r.get(9)?,
                    postal_code: r.get(10)?,
                    municipality_code,
                    municipality,
                },
                phone: r.get(12)?,
                email: r.get(13)?,
            })
        }
    };
    Ok(Referral {
        withdrawn_on: r.get(14)?,
        purged_at: r.get(15)?,
        id: r.get(0)?,
        reference: Reference::stored(reference),
        recipient_name: gazetteer.recipient_name(&recipient),
        recipient,
        status: Status::parse(&status).ok_or_else(|| bad(3, "status"))?,
        created_at: DateTime::parse_from_rfc3339(&created).map_err(|_| bad(4, "datum"))?,
        client,
    })
}

/// Why a referral was not created or could not move on.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "referral")]
pub enum ReferralError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    #[coded(fields)]
    Invalid(Vec<FieldMessage>),
    #[error("Aanmelding {0} bestaat niet (meer).")]
    NotFound(Reference),
    #[error("Aanmelding {0} is al afgerond: toestemming of weigering is al genoteerd.")]
    NotADraft(Reference),
    #[error(
        "De gegevens van aanmelding {0} zijn al gewist: de vijf punten werden niet binnen 24 uur \
         afgerond, of de aanmelding werd verwijderd. Er werd niets genoteerd of verzonden. Begin \
         een nieuwe aanmelding."
    )]
    Wiped(Reference),
    #[error(
        "Voor aanmelding {0} is (nog) geen toestemming genoteerd, of de gegevens zijn al gewist: \
         er kan geen pakket van gemaakt worden."
    )]
    NotReady(Reference),
    #[error(
        "De toestemming en het protocol gelden niet voor dezelfde ontvanger als de aanmelding. \
         Begin de vijf punten opnieuw."
    )]
    RecipientMismatch,
    #[error("Het besturingssysteem gaf geen willekeurige getallen: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<InvalidClient> for ReferralError {
    fn from(e: InvalidClient) -> Self {
        Self::Invalid(e.0)
    }
}

impl From<crate::reference::NoRandom> for ReferralError {
    fn from(e: crate::reference::NoRandom) -> Self {
        Self::Random(e.0)
    }
}

#[cfg(test)]
mod tests;
