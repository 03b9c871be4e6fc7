//! The agreement register: with which OCMWs (and the CAW) the team may share, and until when.
//!
//! Sharing is lawful only under a signed cooperation agreement and a data-sharing protocol in
//! force on the day of sending (domain.md, "Frequency and duration"). The only way to obtain an
//! [`ActiveProtocol`], which a referral needs to become ready to send, is
//! [`Agreement::in_force_on`]: a referral to a partner without a protocol in force cannot be
//! expressed.

use std::str::FromStr as _;

use chrono::NaiveDate;
use rusqlite::{OptionalExtension as _, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Coded;
use crate::residence::{Gazetteer, Recipient};
use crate::store::{Store, StoreError};

/// How packages reach a partner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Delivery {
    /// Through the team's mail server, by the outbox.
    #[default]
    Smtp,
    /// As a ready draft (.eml) the worker sends from their own mail program.
    MailProgram,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::MailProgram => "mail_program",
        }
    }
}

/// An entry of the register as the form sends it: text as typed, dates as `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AgreementInput {
    /// `ocmw:<REFNIS>` or `caw:brussel`.
    pub recipient_key: String,
    pub name: String,
    pub kbo: String,
    pub mailbox: String,
    pub dpo_email: String,
    pub password_phone: String,
    pub agreement_date: String,
    pub protocol_from: String,
    /// End date or the date notice takes effect; empty while the protocol runs indefinitely.
    pub protocol_until: String,
    pub delivery: Delivery,
}

/// A partner in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Agreement {
    #[ts(type = "number")]
    pub id: i64,
    pub recipient: Recipient,
    pub municipality_code: Option<String>,
    pub name: String,
    /// KBO/BCE enterprise number as `0212.181.956`.
    pub kbo: String,
    pub mailbox: String,
    pub dpo_email: String,
    /// E.164; the number the worker calls to pass a package's password.
    pub password_phone: String,
    #[ts(type = "string")]
    pub agreement_date: NaiveDate,
    #[ts(type = "string")]
    pub protocol_from: NaiveDate,
    #[ts(type = "string | null")]
    pub protocol_until: Option<NaiveDate>,
    /// Shipped example entry with mailboxes on a reserved domain; never a real partner.
    pub demo: bool,
    pub delivery: Delivery,
}

/// Proof that a protocol with `recipient` was in force on `on`. Only [`Agreement::in_force_on`]
/// makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveProtocol {
    agreement_id: i64,
    recipient: Recipient,
    on: NaiveDate,
}

impl ActiveProtocol {
    pub fn agreement_id(&self) -> i64 {
        self.agreement_id
    }
    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }
    pub fn on(&self) -> NaiveDate {
        self.on
    }
}

impl Agreement {
    /// The proof that this agreement's protocol is in force on `day`, or why not.
    pub fn in_force_on(&self, day: NaiveDate) -> Result<ActiveProtocol, AgreementError> {
        if day < self.agreement_date.max(self.protocol_from) {
            return Err(AgreementError::NotYetInForce {
                partner: self.name.clone(),
                from: self.protocol_from.max(self.agreement_date),
            });
        }
        if let Some(until) = self.protocol_until
            && day > until
        {
            return Err(AgreementError::Ended {
                partner: self.name.clone(),
                until,
            });
        }
        Ok(ActiveProtocol {
            agreement_id: self.id,
            recipient: self.recipient.clone(),
            on: day,
        })
    }

    /// The register entry for `recipient`, if the team has one.
    pub fn for_recipient(store: &Store, recipient: &Recipient) -> Result<Option<Self>, StoreError> {
        Ok(store
            .conn()
            .query_row(
                &format!("{SELECT} WHERE recipient = ?1"),
                [recipient.key()],
                from_row,
            )
            .optional()?)
    }

    /// The protocol in force today with the partner for `recipient`, or a message naming the
    /// partner, the reason and whom to contact.
    pub fn active_for(
        store: &Store,
        gazetteer: &Gazetteer,
        recipient: &Recipient,
        day: NaiveDate,
    ) -> Result<ActiveProtocol, AgreementError> {
        match Self::for_recipient(store, recipient)? {
            Some(agreement) => agreement.in_force_on(day),
            None => Err(AgreementError::NoAgreement {
                partner: gazetteer.recipient_name(recipient),
            }),
        }
    }

    pub fn list(store: &Store) -> Result<Vec<Self>, StoreError> {
        let mut stmt = store
            .conn()
            .prepare(&format!("{SELECT} ORDER BY demo, name"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn get(store: &Store, id: i64) -> Result<Self, AgreementError> {
        store
            .conn()
            .query_row(&format!("{SELECT} WHERE id = ?1"), [id], from_row)
            .optional()
            .map_err(StoreError::from)?
            .ok_or(AgreementError::NotFound)
    }

    /// Adds (`id: None`) or replaces an entry after validating every field.
    pub fn save(
        store: &Store,
        gazetteer: &Gazetteer,
        id: Option<i64>,
        input: AgreementInput,
    ) -> Result<Self, AgreementError> {
        let v = validate(gazetteer, input)?;
        let conn = store.conn();
        let clash: Option<i64> = conn
            .query_row(
                "SELECT id FROM agreement WHERE recipient = ?1",
                [v.recipient.key()],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)?;
        if clash.is_some_and(|other| Some(other) != id) {
            return Err(AgreementError::Duplicate(
                gazetteer.recipient_name(&v.recipient),
            ));
        }
        let params = (
            v.recipient.key(),
            &v.name,
            &v.kbo,
            &v.mailbox,
            &v.dpo_email,
            &v.password_phone,
            v.agreement_date.to_string(),
            v.protocol_from.to_string(),
            v.protocol_until.map(|d| d.to_string()),
            v.delivery.as_str(),
        );
        let id = match id {
            Some(id) => {
                let changed = conn
                    .execute(
                        "UPDATE agreement SET recipient = ?1, name = ?2, kbo = ?3, mailbox = ?4,
                           dpo_email = ?5, password_phone = ?6, agreement_date = ?7,
                           protocol_from = ?8, protocol_until = ?9, delivery = ?10, demo = 0
                         WHERE id = ?11",
                        rusqlite::params![
                            params.0, params.1, params.2, params.3, params.4, params.5, params.6,
                            params.7, params.8, params.9, id
                        ],
                    )
                    .map_err(StoreError::from)?;
                if changed == 0 {
                    return Err(AgreementError::NotFound);
                }
                id
            }
            None => {
                conn.execute(
                    "INSERT INTO agreement (recipient, name, kbo, mailbox, dpo_email,
                       password_phone, agreement_date, protocol_from, protocol_until, delivery,
                       demo)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)",
                    params,
                )
                .map_err(StoreError::from)?;
                conn.last_insert_rowid()
            }
        };
        Self::get(store, id)
    }

    /// The entry as the form (or a team profile) writes it.
    pub fn to_input(&self) -> AgreementInput {
        AgreementInput {
            recipient_key: self.recipient.key(),
            name: self.name.clone(),
            kbo: self.kbo.clone(),
            mailbox: self.mailbox.clone(),
            dpo_email: self.dpo_email.clone(),
            password_phone: self.password_phone.clone(),
            agreement_date: self.agreement_date.to_string(),
            protocol_from: self.protocol_from.to_string(),
            protocol_until: self
                .protocol_until
                .map(|d| d.to_string())
                .unwrap_or_default(),
            delivery: self.delivery,
        }
    }

    pub fn delete(store: &Store, id: i64) -> Result<(), AgreementError> {
        let changed = store
            .conn()
            .execute("DELETE FROM agreement WHERE id = ?1", [id])
            .map_err(StoreError::from)?;
        if changed == 0 {
            return Err(AgreementError::NotFound);
        }
        Ok(())
    }
}

const SELECT: &str = "SELECT id, recipient, name, kbo, mailbox, dpo_email, password_phone,
    agreement_date, protocol_from, protocol_until, demo, delivery FROM agreement";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Agreement> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("ongeldige {what}").into(),
        )
    };
    let recipient_key: String = r.get(1)?;
    let recipient = Recipient::from_key(&recipient_key).ok_or_else(|| bad(1, "ontvanger"))?;
    let date = |i: usize| -> rusqlite::Result<NaiveDate> {
        let text: String = r.get(i)?;
        NaiveDate::from_str(&text).map_err(|_| bad(i, "datum"))
    };
    let until: Option<String> = r.get(9)?;
    Ok(Agreement {
        id: r.get(0)?,
        municipality_code: match &recipient {
            Recipient::Ocmw(code) => Some(code.clone()),
            Recipient::CawBrussel => None,
        },
        recipient,
        name: r.get(2)?,
        kbo: r.get(3)?,
        mailbox: r.get(4)?,
        dpo_email: r.get(5)?,
        password_phone: r.get(6)?,
        agreement_date: date(7)?,
        protocol_from: date(8)?,
        protocol_until: match until {
            Some(text) => Some(NaiveDate::from_str(&text).map_err(|_| bad(9, "datum"))?),
            None => None,
        },
        demo: r.get(10)?,
        delivery: if r.get::<_, String>(11)? == "mail_program" {
            Delivery::MailProgram
        } else {
            Delivery::Smtp
        },
    })
}

struct Valid {
    recipient: Recipient,
    name: String,
    kbo: String,
    mailbox: String,
    dpo_email: String,
    password_phone: String,
    agreement_date: NaiveDate,
    protocol_from: NaiveDate,
    protocol_until: Option<NaiveDate>,
    delivery: Delivery,
}

fn validate(gazetteer: &Gazetteer, input: AgreementInput) -> Result<Valid, AgreementError> {
    use AgreementError::Invalid;
    let recipient = Recipient::from_key(input.recipient_key.trim()).ok_or(Invalid(
        "recipient_key",
        "Partner: kies de gemeente van het OCMW, of het CAW Brussel.",
    ))?;
    if let Recipient::Ocmw(code) = &recipient {
        gazetteer
            .recipient(code)
            .map_err(|_| Invalid("recipient_key", "Partner: een OCMW kan alleen een partner zijn in een Vlaamse gemeente; in Brussel is dat het CAW."))?;
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(Invalid(
            "name",
            "Naam: vul de naam van de partner in (hoogstens 120 tekens), bv. OCMW Westerlo.",
        ));
    }
    let kbo = normalise_kbo(&input.kbo).ok_or(Invalid(
        "kbo",
        "KBO-nummer: typ de tien cijfers van het ondernemingsnummer, bv. 0212.181.956; controleer ze, want het controlegetal klopt niet.",
    ))?;
    let mailbox = email(&input.mailbox).ok_or(Invalid(
        "mailbox",
        "Aanmeldmailbox: typ het e-mailadres dat het OCMW voor aanmeldingen gaf, bv. aanmelding@ocmw.be.",
    ))?;
    let dpo_email = email(&input.dpo_email).ok_or(Invalid(
        "dpo_email",
        "E-mail van de DPO: typ het e-mailadres van de functionaris voor gegevensbescherming van de partner.",
    ))?;
    let password_phone = crate::worker::normalise_phone(&input.password_phone).map_err(|_| {
        Invalid(
            "password_phone",
            "Telefoon voor wachtwoorden: typ het nummer waarop je het wachtwoord doorgeeft, bv. 014 12 34 56.",
        )
    })?;
    let date = |text: &str, field: &'static str, message: &'static str| {
        NaiveDate::from_str(text.trim()).map_err(|_| Invalid(field, message))
    };
    let agreement_date = date(
        &input.agreement_date,
        "agreement_date",
        "Datum samenwerkingsovereenkomst: kies de datum van ondertekening.",
    )?;
    let protocol_from = date(
        &input.protocol_from,
        "protocol_from",
        "Protocol van kracht vanaf: kies de datum waarop het protocol ingaat.",
    )?;
    let protocol_until = match input.protocol_until.trim() {
        "" => None,
        text => Some(date(
            text,
            "protocol_until",
            "Protocol loopt tot: kies de einddatum, of laat het veld leeg als er geen is.",
        )?),
    };
    if protocol_until.is_some_and(|until| until < protocol_from) {
        return Err(Invalid(
            "protocol_until",
            "Protocol loopt tot: de einddatum ligt vóór de begindatum. Controleer beide datums.",
        ));
    }
    Ok(Valid {
        delivery: input.delivery,
        recipient,
        name,
        kbo,
        mailbox,
        dpo_email,
        password_phone,
        agreement_date,
        protocol_from,
        protocol_until,
    })
}

fn email(text: &str) -> Option<String> {
    let text = text.trim();
    crate::referral::is_valid_email(text).then(|| text.to_owned())
}

/// Ten digits with a valid mod-97 check, written as `0212.181.956`.
fn normalise_kbo(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let base: u64 = digits[..8].parse().ok()?;
    let check: u64 = digits[8..].parse().ok()?;
    (97 - base % 97 == check)
        .then(|| format!("{}.{}.{}", &digits[..4], &digits[4..7], &digits[7..]))
}

/// Why a partner cannot receive a referral, or why an entry was not saved.
#[derive(Debug, thiserror::Error)]
pub enum AgreementError {
    #[error(
        "Er is geen samenwerkingsovereenkomst en protocol met {partner} in het register. Zonder \
         protocol mag je geen gegevens doorgeven. Neem contact op met de leidinggevende van je team."
    )]
    NoAgreement { partner: String },
    #[error(
        "Het protocol met {partner} is pas van kracht vanaf {}. Tot dan mag je geen gegevens \
         doorgeven. Neem contact op met de leidinggevende van je team.",
        from.format("%d/%m/%Y")
    )]
    NotYetInForce { partner: String, from: NaiveDate },
    #[error(
        "Het protocol met {partner} liep af op {}. Je mag geen gegevens meer doorgeven. Neem \
         contact op met de leidinggevende van je team.",
        until.format("%d/%m/%Y")
    )]
    Ended { partner: String, until: NaiveDate },
    #[error("{1}")]
    Invalid(&'static str, &'static str),
    #[error("Partner: er staat al een overeenkomst met {0} in het register. Pas die aan.")]
    Duplicate(String),
    #[error("Die partner staat niet (meer) in het register.")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for AgreementError {
    fn code(&self) -> &'static str {
        match self {
            Self::NoAgreement { .. } => "agreement.none",
            Self::NotYetInForce { .. } => "agreement.not_yet_in_force",
            Self::Ended { .. } => "agreement.ended",
            Self::Invalid(..) => "agreement.invalid",
            Self::Duplicate(_) => "agreement.duplicate",
            Self::NotFound => "agreement.not_found",
            Self::Store(e) => e.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(field, _) => Some(field),
            Self::Duplicate(_) => Some("recipient_key"),
            Self::Store(e) => e.field(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
