//! A referral: one client's four decretal fields, for one recipient, and where it stands.
//!
//! Decree art. 10/1 allows exactly four identification data: name, address, phone and e-mail.
//! [`ClientData`] has room for those and nothing else (no national register number, birth date,
//! notes or children), and every value in it has passed validation. A referral becomes ready to
//! send only through [`Referral::mark_ready`], which takes a [`ConsentRecord`] and an
//! [`ActiveProtocol`]: both can only be made by the modules that check them.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension as _, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization as _;

use crate::agreement::ActiveProtocol;
use crate::consent::{ConsentRecord, Language};
use crate::error::Coded;
pub use crate::error::FieldMessage;
use crate::ledger::{self, EventKind};
use crate::residence::{Gazetteer, PostalMatch, Recipient, ResidenceError};
use crate::store::{Store, StoreError};

/// What the worker typed, as the form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ClientInput {
    pub first_name: String,
    pub last_name: String,
    pub street: String,
    pub house_number: String,
    pub r#box: String,
    pub postal_code: String,
    /// REFNIS code; needed only when the postal code covers several municipalities.
    pub municipality_code: String,
    pub phone: String,
    pub email: String,
}

/// A client's address in Flanders or Brussels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Address {
    pub street: String,
    pub house_number: String,
    pub r#box: Option<String>,
    pub postal_code: String,
    pub municipality_code: String,
    pub municipality: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.street, self.house_number)?;
        if let Some(b) = &self.r#box {
            write!(f, " bus {b}")?;
        }
        write!(f, ", {} {}", self.postal_code, self.municipality)
    }
}

/// The four data the decree allows, validated. There is no field for anything else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ClientData {
    pub first_name: String,
    pub last_name: String,
    pub address: Address,
    /// E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
}

const MAX_FIRST_NAME: usize = 60;
const MAX_LAST_NAME: usize = 80;
const MAX_STREET: usize = 100;

impl ClientData {
    /// Validates every field and finds the recipient. Collects every problem, so the worker can
    /// fix them all at once; a Walloon address is refused with the reason.
    pub fn validate(
        input: &ClientInput,
        gazetteer: &Gazetteer,
    ) -> Result<(Self, Recipient), ReferralError> {
        let mut problems = Vec::new();
        let mut note = |field: &str, message: String| {
            problems.push(FieldMessage {
                field: field.to_owned(),
                message,
            });
        };
        let first_name = person_name(&input.first_name, "Voornaam", MAX_FIRST_NAME)
            .map_err(|m| note("first_name", m))
            .ok();
        let last_name = person_name(&input.last_name, "Achternaam", MAX_LAST_NAME)
            .map_err(|m| note("last_name", m))
            .ok();
        let street = street(&input.street).map_err(|m| note("street", m)).ok();
        let house_number = house_number(&input.house_number)
            .map_err(|m| note("house_number", m))
            .ok();
        let r#box = box_number(&input.r#box).map_err(|m| note("box", m)).ok();
        let phone = match clean(&input.phone) {
            text if text.is_empty() => Some(None),
            text => crate::contact::phone(&text)
                .map(Some)
                .map_err(|_| {
                    note(
                        "phone",
                        "Telefoon: dit nummer bestaat niet. Typ een Belgisch nummer (bv. 0470 12 34 \
                         56) of een buitenlands nummer met landcode (bv. +31 6 12345678)."
                            .into(),
                    )
                })
                .ok(),
        };
        let email = match clean(&input.email) {
            text if text.is_empty() => Some(None),
            text if crate::contact::is_email(&text) => Some(Some(text)),
            _ => {
                note(
                    "email",
                    "E-mail: dit is geen geldig e-mailadres. Schrijf het als naam@voorbeeld.be, \
                     zonder spaties."
                        .into(),
                );
                None
            }
        };
        let residence = residence(gazetteer, &input.postal_code, &input.municipality_code)
            .map_err(|e| note(e.field().unwrap_or("postal_code"), e.to_string()))
            .ok();

        match (
            first_name,
            last_name,
            street,
            house_number,
            r#box,
            phone,
            email,
            residence,
        ) {
            (
                Some(first_name),
                Some(last_name),
                Some(street),
                Some(house_number),
                Some(r#box),
                Some(phone),
                Some(email),
                Some((postal_code, municipality_code, municipality, recipient)),
            ) if problems.is_empty() => Ok((
                Self {
                    first_name,
                    last_name,
                    address: Address {
                        street,
                        house_number,
                        r#box,
                        postal_code,
                        municipality_code,
                        municipality,
                    },
                    phone,
                    email,
                },
                recipient,
            )),
            _ => Err(ReferralError::Invalid(problems)),
        }
    }

    /// Advice that does not block: without phone or e-mail the OCMW can only write a letter.
    pub fn warnings(&self) -> Vec<FieldMessage> {
        if self.phone.is_none() && self.email.is_none() {
            vec![FieldMessage {
                field: "phone".into(),
                message: "Zonder telefoonnummer of e-mailadres kan het OCMW de cliënt alleen per \
                          brief bereiken. Vraag of de cliënt er een wil geven."
                    .into(),
            }]
        } else {
            Vec::new()
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Trims, folds runs of white space to one space, and composes accents (NFC), so that the same
/// name typed twice is stored the same way.
fn clean(text: &str) -> String {
    text.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Control characters, and the invisible format characters that reorder or hide text (bidi
/// overrides, zero-width space, byte-order mark): in a name they are accidents or tricks.
fn is_invisible_control(c: char) -> bool {
    (c.is_control() && c != ' ')
        || matches!(c, '\u{200B}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn check_common(raw: &str, label: &str, max: usize) -> Result<String, String> {
    if raw.chars().any(is_invisible_control) {
        return Err(format!(
            "{label}: verwijder de onzichtbare stuurtekens (bv. een tab of regeleinde)."
        ));
    }
    let value = clean(raw);
    if value.is_empty() {
        return Err(format!("{label}: vul dit in."));
    }
    if value.chars().count() > max {
        return Err(format!("{label}: gebruik hoogstens {max} tekens."));
    }
    Ok(value)
}

fn person_name(raw: &str, label: &str, max: usize) -> Result<String, String> {
    let value = check_common(raw, label, max)?;
    let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.');
    if !value.chars().all(allowed) || !value.chars().any(char::is_alphabetic) {
        return Err(format!(
            "{label}: gebruik alleen letters, spaties, koppeltekens, apostroffen en punten, zoals \
             op de identiteitskaart."
        ));
    }
    Ok(value)
}

fn street(raw: &str) -> Result<String, String> {
    let value = check_common(raw, "Straat", MAX_STREET)?;
    let allowed = |c: char| {
        c.is_alphanumeric() || matches!(c, ' ' | '-' | '\'' | '’' | '.' | ',' | '/' | '(' | ')')
    };
    if !value.chars().all(allowed) || !value.chars().any(char::is_alphabetic) {
        return Err(
            "Straat: typ alleen de straatnaam (letters, cijfers, spaties, koppeltekens); het \
             huisnummer en de bus hebben een eigen veld."
                .into(),
        );
    }
    Ok(value)
}

fn house_number(raw: &str) -> Result<String, String> {
    let value = check_common(raw, "Huisnummer", 10)?;
    let starts_with_digit = value.chars().next().is_some_and(|c| c.is_ascii_digit());
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/');
    if !starts_with_digit || !value.chars().all(allowed) {
        return Err("Huisnummer: begin met een cijfer, bv. 12, 12A of 12-14.".into());
    }
    Ok(value)
}

fn box_number(raw: &str) -> Result<Option<String>, String> {
    if clean(raw).is_empty() && !raw.chars().any(is_invisible_control) {
        return Ok(None);
    }
    let value = check_common(raw, "Bus", 10)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/'))
    {
        return Err("Bus: typ alleen het busnummer, bv. 3 of 0201.".into());
    }
    Ok(Some(value))
}

type Residence = (String, String, String, Recipient);

fn residence(
    gazetteer: &Gazetteer,
    postal_code: &str,
    municipality_code: &str,
) -> Result<Residence, ResidenceError> {
    let postal_code = postal_code.trim();
    let municipality = match gazetteer.lookup(postal_code)? {
        PostalMatch::One(m) => m,
        PostalMatch::Choose(options) => options
            .into_iter()
            .find(|m| m.code == municipality_code.trim())
            .ok_or_else(|| ResidenceError::UnknownMunicipality(municipality_code.to_owned()))?,
    };
    let recipient = gazetteer.recipient(&municipality.code)?;
    Ok((
        postal_code.to_owned(),
        municipality.code,
        municipality.name_nl,
        recipient,
    ))
}

/// A referral's reference: `AM-` and eight Crockford base32 characters, random, so it says
/// nothing about the client and can be read over the phone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Reference(String);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Reference {
    pub fn generate() -> Result<Self, ReferralError> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| ReferralError::Random(e.to_string()))?;
        let chars: String = bytes
            .iter()
            .map(|b| char::from(CROCKFORD[usize::from(b % 32)]))
            .collect();
        Ok(Self(format!("AM-{}-{}", &chars[..4], &chars[4..])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_uppercase();
        let ok = text.len() == 12
            && text.starts_with("AM-")
            && text.as_bytes()[7] == b'-'
            && text[3..7]
                .bytes()
                .chain(text[8..].bytes())
                .all(|b| CROCKFORD.contains(&b));
        ok.then_some(Self(text))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
    /// Where the encrypted package stands, once there is one.
    pub package: Option<PackageState>,
    /// The day the client withdrew consent, if they did.
    pub withdrawn_on: Option<String>,
    /// When the client's data were wiped (refusal, withdrawal, end of retention).
    pub purged_at: Option<String>,
    /// How many corrections were sent.
    pub corrections: u32,
}

/// The package of a referral, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PackageState {
    pub built_at: String,
    pub password_passed_at: Option<String>,
    /// When the partner's mail server took it, or the worker confirmed sending it.
    pub sent_at: Option<String>,
}

/// What the consent record says, as a package reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentSummary {
    pub given_at: DateTime<FixedOffset>,
    pub worker: String,
    pub text_version: String,
    pub language: Language,
    pub text_sha256: String,
    pub agreement_id: i64,
    /// The version of the register entry the consent relied on (`None` before versions).
    pub agreement_version: Option<i64>,
    pub agreement_sha256: Option<String>,
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
        let a = &client.address;
        let tx = store.transaction()?;
        tx.execute(
            "INSERT INTO referral (reference, recipient, status, created_at, updated_at,
                   first_name, last_name, street, house_number, box, postal_code,
                   municipality_code, phone, email, agreement_id)
                 VALUES (?1, ?2, 'draft', ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            rusqlite::params![
                reference.as_str(),
                recipient.key(),
                now.to_rfc3339(),
                client.first_name,
                client.last_name,
                a.street,
                a.house_number,
                a.r#box,
                a.postal_code,
                a.municipality_code,
                client.phone,
                client.email,
                protocol.agreement_id(),
            ],
        )
        .map_err(StoreError::from)?;
        ledger::record(
            store,
            EventKind::Created,
            now,
            &recipient.key(),
            Some(reference.as_str()),
        )?;
        tx.commit()?;
        Self::get(store, gazetteer, &reference)
    }

    pub fn get(
        store: &Store,
        gazetteer: &Gazetteer,
        reference: &Reference,
    ) -> Result<Self, ReferralError> {
        store
            .conn()
            .query_row(
                &format!("{SELECT} WHERE reference = ?1"),
                [reference.as_str()],
                |r| from_row(r, gazetteer),
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or_else(|| ReferralError::NotFound(reference.clone()))
    }

    /// All referrals, newest first.
    pub fn list(store: &Store, gazetteer: &Gazetteer) -> Result<Vec<Self>, ReferralError> {
        let mut stmt = store
            .conn()
            .prepare(&format!("{SELECT} ORDER BY created_at DESC, id DESC"))
            .map_err(StoreError::from)?;
        let rows = stmt
            .query_map([], |r| from_row(r, gazetteer))
            .map_err(StoreError::from)?;
        Ok(rows.collect::<Result<_, _>>().map_err(StoreError::from)?)
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
        let consent = store
            .conn()
            .query_row(
                "SELECT given_at, worker, text_version, language, text_sha256, agreement_id,
                   agreement_version, agreement_sha256
                 FROM consent WHERE referral_id = ?1",
                [referral.id],
                |r| {
                    let given_at: String = r.get(0)?;
                    let language: String = r.get(3)?;
                    Ok((
                        given_at,
                        r.get(1)?,
                        r.get(2)?,
                        language,
                        r.get(4)?,
                        (r.get(5)?, r.get(6)?, r.get(7)?),
                    ))
                },
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or_else(|| ReferralError::NotReady(reference.clone()))?;
        let (given_at, worker, text_version, language, text_sha256, relied_on) = consent;
        let (agreement_id, agreement_version, agreement_sha256) = relied_on;
        let corrupt = || StoreError::Sqlite("onleesbaar toestemmingsverslag".into());
        Ok(ReadyReferral {
            id: referral.id,
            reference: referral.reference,
            recipient: referral.recipient,
            recipient_name: referral.recipient_name,
            client,
            consent: ConsentSummary {
                given_at: DateTime::parse_from_rfc3339(&given_at).map_err(|_| corrupt())?,
                worker,
                text_version,
                language: Language::parse(&language).ok_or_else(corrupt)?,
                text_sha256,
                agreement_id,
                agreement_version,
                agreement_sha256,
            },
        })
    }

    /// The client said no: the personal data go at once, only an anonymous event stays.
    pub fn refuse(
        store: &Store,
        reference: &Reference,
        now: DateTime<FixedOffset>,
    ) -> Result<(), ReferralError> {
        let tx = store.transaction()?;
        let recipient: String = tx
            .query_row(
                "SELECT recipient FROM referral WHERE reference = ?1 AND status = 'draft'",
                [reference.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)?
            .ok_or_else(|| ReferralError::NotADraft(reference.clone()))?;
        tx.execute(
            "UPDATE referral SET status = 'refused', updated_at = ?2, purged_at = ?2,
               first_name = NULL, last_name = NULL, street = NULL, house_number = NULL,
               box = NULL, postal_code = NULL, municipality_code = NULL, phone = NULL,
               email = NULL
             WHERE reference = ?1",
            (reference.as_str(), now.to_rfc3339()),
        )
        .map_err(StoreError::from)?;
        // The yearly counts need "the five points, then a refusal, for this partner, at this
        // time": nothing that leads back to the client, not even the reference.
        for kind in [EventKind::Explained, EventKind::Refused] {
            ledger::record(store, kind, now, &recipient, None)?;
        }
        tx.commit()?;
        // As after a withdrawal or purge: the zeroed pages must not live on in the log.
        store.checkpoint()?;
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
        tx.execute(
            "INSERT INTO consent (referral_id, given_at, worker, recipient, agreement_id,
               text_version, language, text_sha256, agreement_version, agreement_sha256)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                id,
                at,
                consent.worker(),
                recipient,
                protocol.agreement_id(),
                consent.text_version(),
                consent.language().code(),
                consent.text_sha256(),
                protocol.version(),
                protocol.version_sha256(),
            ],
        )
        .map_err(StoreError::from)?;
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

/// Wipes the client's four fields and everything made from them: corrections' history and the
/// archives and passwords of packages no longer waiting to go out. What stays is the reference,
/// the consent record (which names the worker, not the client) and the anonymous ledger.
///
/// Runs inside the caller's transaction; secure delete (set when the store opens) zeroes the
/// freed bytes, and the caller checkpoints the write-ahead log after committing.
pub(crate) fn purge(
    store: &Store,
    id: i64,
    now: DateTime<FixedOffset>,
) -> Result<bool, StoreError> {
    let conn = store.conn();
    let changed = conn.execute(
        "UPDATE referral SET first_name = NULL, last_name = NULL, street = NULL,
           house_number = NULL, box = NULL, postal_code = NULL, municipality_code = NULL,
           phone = NULL, email = NULL, purged_at = ?2, updated_at = ?2
         WHERE id = ?1 AND purged_at IS NULL",
        (id, now.to_rfc3339()),
    )?;
    conn.execute("DELETE FROM correction WHERE referral_id = ?1", [id])?;
    conn.execute(
        "UPDATE package SET archive = NULL, password = ''
         WHERE referral_id = ?1 AND id NOT IN (
           SELECT package_id FROM outbox
           WHERE state IN ('queued', 'sending', 'failed', 'attention', 'maybe_sent', 'drafted'))",
        [id],
    )?;
    if changed == 0 {
        return Ok(false);
    }
    let (recipient, reference): (String, String) = conn.query_row(
        "SELECT recipient, reference FROM referral WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    crate::files::delete_for_referral(store, &reference, now)?;
    ledger::record(store, EventKind::Purged, now, &recipient, Some(&reference))?;
    Ok(true)
}

const SELECT: &str = "SELECT id, reference, recipient, status, created_at, first_name, last_name,
    street, house_number, box, postal_code, municipality_code, phone, email,
    (SELECT built_at FROM package WHERE package.referral_id = referral.id
       AND kind = 'referral'),
    (SELECT password_passed_at FROM package WHERE package.referral_id = referral.id
       AND kind = 'referral'),
    (SELECT o.sent_at FROM outbox o JOIN package p ON p.id = o.package_id
       WHERE p.referral_id = referral.id AND p.kind = 'referral'),
    (SELECT said_on FROM withdrawal WHERE withdrawal.referral_id = referral.id),
    purged_at,
    (SELECT count(*) FROM package WHERE package.referral_id = referral.id
       AND kind = 'correction'),
    (SELECT a.name FROM agreement a WHERE a.id = coalesce(
       (SELECT c.agreement_id FROM consent c WHERE c.referral_id = referral.id),
       referral.agreement_id))
    FROM referral";

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
    let built_at: Option<String> = r.get(14)?;
    let package = match built_at {
        Some(built_at) => Some(PackageState {
            built_at,
            password_passed_at: r.get(15)?,
            sent_at: r.get(16)?,
        }),
        None => None,
    };
    Ok(Referral {
        package,
        withdrawn_on: r.get(17)?,
        purged_at: r.get(18)?,
        corrections: r.get(19)?,
        id: r.get(0)?,
        reference: Reference(reference),
        // Brussels may have several CAWs: the client hears the name of the one chosen.
        recipient_name: match (&recipient, r.get::<_, Option<String>>(20)?) {
            (Recipient::CawBrussel, Some(partner)) => partner,
            _ => gazetteer.recipient_name(&recipient),
        },
        recipient,
        status: Status::parse(&status).ok_or_else(|| bad(3, "status"))?,
        created_at: DateTime::parse_from_rfc3339(&created).map_err(|_| bad(4, "datum"))?,
        client,
    })
}

/// Why a referral was not created or could not move on.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldMessage>),
    #[error("Aanmelding {0} bestaat niet (meer).")]
    NotFound(Reference),
    #[error("Aanmelding {0} is al afgerond: toestemming of weigering is al genoteerd.")]
    NotADraft(Reference),
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

impl Coded for ReferralError {
    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "referral.invalid",
            Self::NotFound(_) => "referral.not_found",
            Self::NotADraft(_) => "referral.not_a_draft",
            Self::NotReady(_) => "referral.not_ready",
            Self::RecipientMismatch => "referral.recipient_mismatch",
            Self::Random(_) => "referral.random",
            Self::Store(e) => e.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        None
    }

    fn fields(&self) -> Vec<FieldMessage> {
        match self {
            Self::Invalid(problems) => problems.clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
