//! Wrong mailbox: a package that reached someone it was not meant for is a data breach.
//!
//! The parties inform each other through their DPOs without undue delay (GDPR art. 33; domain.md,
//! "After sending"). The worker marks the outbox item, says to which address it went and when they
//! noticed; the app records an anonymous event and drafts the notice for the team's DPO as an
//! `.eml` the worker opens in their mail program. The draft states what, when, to whom and which
//! reference, and whether the password was passed on (the archive is useless without it), but no
//! client data: the DPO looks those up with the worker if needed. The worker's own note (how it
//! happened, what was already done) goes into the draft too, so it is refused when it repeats the
//! client's name, street, phone or e-mail as still stored for that referral.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::client::Address;
use crate::correction::{self, CorrectionError};
use crate::error::{Coded, FieldMessage};
use crate::files::{self, Export, SaveError, Staged};
use crate::ledger::{self, EventKind};
use crate::outbox;
use crate::referral;
use crate::residence::{Gazetteer, Recipient};
use crate::retention::{RetentionError, RetentionSettings};
use crate::store::{Store, StoreError};
use crate::worker::{WorkerError, WorkerProfile};

/// What the incident form sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentInput {
    #[ts(type = "number")]
    pub outbox_id: i64,
    /// The address the package actually went to.
    pub wrong_to: String,
    /// `YYYY-MM-DD`: when the worker found out.
    pub noticed_on: String,
    /// How it happened and what was already done, for the DPO; may be empty. No client data.
    pub note: String,
}

/// Long enough for what happened and what was done; a note is not a case file.
const NOTE_MAX_CHARS: usize = 1000;

/// What the incident record keeps as the wrong mailbox when it was the client's own: the
/// record outlives the purge of the client's data, so it must not hold their address.
/// Migration 15 writes the same words into the records made before.
const CLIENTS_OWN_MAILBOX: &str = "(e-mailadres van de cliënt)";

/// The drafted notice, shown to the worker and saved as an `.eml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DpoDraft {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Reference, recipient key, sent at, file name, password passed at.
/// Records the incident and drafts the notice for the DPO.
pub fn report(
    store: &Store,
    gazetteer: &Gazetteer,
    input: &IncidentInput,
    now: DateTime<FixedOffset>,
) -> Result<(DpoDraft, Export), IncidentError> {
    record(store, gazetteer, input, None, now).map(|(draft, eml, _)| (draft, eml))
}

/// Records the incident and saves the notice for the DPO as an `.eml` in `folder`, both or
/// neither: the file is written and flushed before the incident is recorded, and takes its name
/// before that record is committed (the copy's own row comes first of all, `files`). A folder that is full or read-only records nothing, so the worker's
/// second try counts the breach once.
pub fn report_to_folder(
    store: &Store,
    gazetteer: &Gazetteer,
    input: &IncidentInput,
    folder: &Path,
    now: DateTime<FixedOffset>,
) -> Result<(DpoDraft, PathBuf), IncidentError> {
    let (draft, _, path) = record(store, gazetteer, input, Some(folder), now)?;
    Ok((draft, path.ok_or(IncidentError::Draft)?))
}

fn record(
    store: &Store,
    gazetteer: &Gazetteer,
    input: &IncidentInput,
    folder: Option<&Path>,
    now: DateTime<FixedOffset>,
) -> Result<(DpoDraft, Export, Option<PathBuf>), IncidentError> {
    let settings = RetentionSettings::load(store)?;
    let worker = WorkerProfile::load(store)?;
    worker.require_complete()?;
    let mut problems = Vec::new();
    let wrong_to = input.wrong_to.trim().to_owned();
    if !crate::contact::is_email(&wrong_to) {
        problems.push(FieldMessage {
            field: "wrong_to".into(),
            message: "Verkeerd adres: vul het volledige e-mailadres in waar het pakket \
                      terechtkwam."
                .into(),
        });
    }
    let noticed_on = crate::day::parse(&input.noticed_on);
    match noticed_on {
        Some(day) if day <= now.date_naive() => {}
        _ => problems.push(FieldMessage {
            field: "noticed_on".into(),
            message: "Vastgesteld op: vul de dag in waarop je het merkte (niet in de toekomst)."
                .into(),
        }),
    }
    if settings.dpo_email.is_empty() {
        problems.push(FieldMessage {
            field: "dpo_email".into(),
            message: "Er is nog geen DPO ingesteld. Vul bij Instellingen het e-mailadres van de \
                      DPO van je team in."
                .into(),
        });
    }
    // Only a package that may have left can have reached the wrong mailbox.
    let Some(item) = outbox::item(store, input.outbox_id)?.filter(|i| i.state.may_have_left())
    else {
        return Err(IncidentError::NotSent);
    };
    let (Some((reference, recipient)), Some((file_name, password_passed_at))) = (
        referral::reference_and_recipient(store.conn(), item.referral_id)?,
        crate::sealed::file_name_and_password_passed(store.conn(), item.package_id)?,
    ) else {
        return Err(IncidentError::NotSent);
    };
    let reference = reference.to_string();
    let sent_at = item.sent_at;
    let note = input.note.trim().to_owned();
    let known = known_client(store, item.referral_id)?;
    if note.chars().count() > NOTE_MAX_CHARS {
        problems.push(FieldMessage {
            field: "note".into(),
            message: format!(
                "Toelichting: houd het kort, hoogstens {NOTE_MAX_CHARS} tekens. De DPO vraagt je \
                 zelf naar de details."
            ),
        });
    } else if known.repeated_in(&note) {
        problems.push(FieldMessage {
            field: "note".into(),
            message: "Toelichting: laat de gegevens van de cliënt weg (naam, straat, telefoon, \
                      e-mail). De melding gaat zonder; de DPO vindt ze bij jou onder de referentie."
                .into(),
        });
    }
    // The client's own mailbox is client data too: the draft says whose it is, not what, and
    // the record (kept after the purge) keeps only that it was the client's. Another address
    // that names the client (a relative's, a second one of theirs) keeps only its domain.
    let (wrong_to_shown, wrong_to_kept) = if known.has_email(&wrong_to) {
        (
            "het e-mailadres van de cliënt zelf (staat niet in dit bericht)".to_owned(),
            CLIENTS_OWN_MAILBOX.to_owned(),
        )
    } else if known.named_in_address(&wrong_to) {
        match wrong_to
            .rsplit_once('@')
            .map(|(_, domain)| domain)
            .filter(|domain| !known.named_in_address(domain))
        {
            Some(domain) => (
                format!(
                    "een adres bij {domain} met gegevens van de cliënt in de naam (het volledige \
                     adres staat niet in dit bericht)"
                ),
                format!("(adres bij {domain} met gegevens van de cliënt)"),
            ),
            None => (
                "een adres met gegevens van de cliënt in de naam (staat niet in dit bericht)"
                    .to_owned(),
                "(adres met gegevens van de cliënt)".to_owned(),
            ),
        }
    } else {
        (wrong_to.clone(), wrong_to.clone())
    };
    let (Some(noticed_on), true) = (noticed_on, problems.is_empty()) else {
        return Err(IncidentError::Invalid(problems));
    };
    let recipient_name = Recipient::from_key(&recipient)
        .map(|r| gazetteer.recipient_name(&r))
        .unwrap_or_else(|| recipient.clone());
    // Times as the DPO reads them: local, to the minute.
    let local = |at: &str| {
        DateTime::parse_from_rfc3339(at).map_or_else(
            |_| at.to_owned(),
            |t| {
                t.with_timezone(now.offset())
                    .format("%d/%m/%Y om %H:%M")
                    .to_string()
            },
        )
    };
    let sent = sent_at
        .as_deref()
        .map_or_else(|| "(onbekend: mogelijk verzonden)".to_owned(), local);
    let password = match &password_passed_at {
        Some(at) => format!(
            "Het wachtwoord werd op {} doorgegeven aan de bedoelde ontvanger, niet aan het \
             verkeerde adres.",
            local(at)
        ),
        None => "Het wachtwoord werd nog aan niemand doorgegeven: de bijlage is zonder \
                 wachtwoord niet te openen."
            .into(),
    };
    let subject = format!(
        "Melding datalek (AVG art. 33): pakket naar verkeerde mailbox, referentie {reference}"
    );
    let body = format!(
        "Beste DPO,\n\n\
         Ik meld een mogelijk datalek (AVG art. 33; protocol, art. 9).\n\n\
         Wat: een versleuteld pakket (7-Zip, AES-256, {file_name}) van Aanmelder kwam in een \
         verkeerde mailbox terecht.\n\
         Referentie: {reference}\n\
         Bedoelde ontvanger: {recipient_name}\n\
         Verkeerde ontvanger: {wrong_to_shown}\n\
         Verzonden op: {sent}\n\
         Vastgesteld op: {noticed}\n\
         Wachtwoord: {password}\n\
         {note_line}\n\
         Dit bericht bevat geen gegevens van de cliënt. Die vind je bij mij, onder de \
         referentie.\n\n\
         {name}\n{team}\n{phone}\n",
        noticed = noticed_on.format("%d/%m/%Y"),
        note_line = if note.is_empty() {
            String::new()
        } else {
            format!("Toelichting: {note}\n")
        },
        name = worker.name,
        team = worker.team,
        phone = crate::contact::shown(&worker.phone),
    );
    let eml = Export {
        file_name: format!("datalek-{reference}.eml"),
        bytes: compose(&worker, &settings.dpo_email, &subject, &body)?.into(),
    };
    // It names the reference: the purge deletes it with the referral's other copies.
    let staged = folder
        .map(|f| files::stage_for_referral(store, &reference, None, f, &eml, now))
        .transpose()?;
    let tx = store.transaction()?;
    tx.execute(
        "INSERT INTO incident (outbox_id, wrong_to, noticed_at, recorded_at, note)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        (
            input.outbox_id,
            &wrong_to_kept,
            noticed_on.to_string(),
            now.to_rfc3339(),
            &note,
        ),
    )
    .map_err(StoreError::from)?;
    ledger::record(
        store,
        EventKind::Incident,
        now,
        &recipient,
        Some(&reference),
    )?;
    let path = staged.map(Staged::commit).transpose()?;
    tx.commit()?;
    Ok((
        DpoDraft {
            to: settings.dpo_email,
            subject,
            body,
        },
        eml,
        path,
    ))
}

/// Particles of Dutch, French and other family names: a part of the name, but also ordinary
/// words, so a note may use them.
const NAME_PARTICLES: &[&str] = &[
    "van", "de", "den", "der", "het", "ten", "ter", "te", "vanden", "vander", "vande", "le", "la",
    "les", "du", "des", "di", "da", "del", "della", "dos", "das", "von", "zu", "el", "al", "ben",
    "bin", "ibn", "y", "e", "t",
];

/// The words of `text`, in lower case and without accents: "Müller-Çelik" and "muller celik"
/// read alike, as a worker may type them.
fn plain_words(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization as _;
    let plain: String = text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    plain
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The client's data the store still holds for a referral: as they are now and as they were
/// before each correction. Nothing once the referral is purged.
#[derive(Debug, Default)]
struct KnownClient {
    first_names: Vec<String>,
    family_names: Vec<String>,
    streets: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
}

fn known_client(store: &Store, referral_id: i64) -> Result<KnownClient, IncidentError> {
    let mut known = KnownClient::default();
    if let Some([first_name, last_name, street, email, phone]) =
        referral::name_street_email_phone(store.conn(), referral_id)?
    {
        known.first_names.extend(first_name);
        known.family_names.extend(last_name);
        known.streets.extend(street);
        known.emails.extend(email);
        known.phones.extend(phone);
    }
    for (field, value) in correction::earlier_values(store.conn(), referral_id)? {
        match field.as_str() {
            correction::FIRST_NAME => known.first_names.push(value),
            correction::LAST_NAME => known.family_names.push(value),
            correction::ADDRESS => known.streets.push(Address::street_of(&value).to_owned()),
            correction::EMAIL => known.emails.push(value),
            correction::PHONE => known.phones.push(value),
            _ => {}
        }
    }
    Ok(known)
}

impl KnownClient {
    /// Whether `text` repeats any of it: any part of a first or family name (a double name is
    /// two names; the particles are not counted), a street, an e-mail address or its name part,
    /// or a phone number in any grouping. Names and streets count as whole words, so a short
    /// name does not match inside another word.
    fn repeated_in(&self, text: &str) -> bool {
        self.found_in(text, true)
    }

    /// Whether an e-mail address that is not the client's names them all the same: by a part of
    /// their family name, their own address's name part or their phone. A first name alone does
    /// not count: "jan.peeters@…" is as likely a colleague of the partner as a relative, and the
    /// DPO needs the address to ask its owner to delete the mail.
    fn named_in_address(&self, address: &str) -> bool {
        self.found_in(address, false)
    }

    /// [`Self::repeated_in`], with or without the first names.
    fn found_in(&self, text: &str, first_names: bool) -> bool {
        if text.is_empty() {
            return false;
        }
        let said = plain_words(text);
        let says =
            |value: &[String]| !value.is_empty() && said.windows(value.len()).any(|w| w == value);
        let first: &[String] = if first_names { &self.first_names } else { &[] };
        let names_a_name = self
            .family_names
            .iter()
            .chain(first)
            .flat_map(|name| plain_words(name))
            .filter(|part| part.chars().count() >= 2 && !NAME_PARTICLES.contains(&part.as_str()))
            .any(|part| says(std::slice::from_ref(&part)));
        let names_street = self.streets.iter().any(|s| says(&plain_words(s)));
        let lower = text.to_lowercase();
        let names_email = self.emails.iter().any(|e| {
            let e = e.to_lowercase();
            let local = e.split('@').next().unwrap_or_default();
            !e.is_empty()
                && (lower.contains(&e) || (local.chars().count() >= 4 && lower.contains(local)))
        });
        // E.164 in the store; the last eight digits are the number however it is grouped or
        // prefixed (0470 12 34 56, 0470/12.34.56, +32 470 123 456).
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let names_phone = self.phones.iter().any(|p| {
            let own: Vec<char> = p.chars().filter(char::is_ascii_digit).collect();
            own.len() >= 8 && digits.contains(&own[own.len() - 8..].iter().collect::<String>())
        });
        names_a_name || names_street || names_email || names_phone
    }

    fn has_email(&self, address: &str) -> bool {
        self.emails.iter().any(|e| e.eq_ignore_ascii_case(address))
    }
}

/// The draft as a mail the worker's program opens ready to send (`X-Unsent: 1`).
fn compose(
    worker: &WorkerProfile,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<Vec<u8>, IncidentError> {
    let from = worker.email.parse().map_err(|_| IncidentError::Draft)?;
    let to = to.parse().map_err(|_| IncidentError::Draft)?;
    let message = Message::builder()
        .from(Mailbox::new(Some(worker.name.clone()), from))
        .to(Mailbox::new(None, to))
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(body.to_owned())
        .map_err(|_| IncidentError::Draft)?;
    let mut bytes = b"X-Unsent: 1\r\n".to_vec();
    bytes.extend_from_slice(&message.formatted());
    Ok(bytes)
}

/// Why an incident could not be recorded.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "incident")]
pub enum IncidentError {
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
    #[coded(fields)]
    Invalid(Vec<FieldMessage>),
    #[error("Dit pakket is niet (mogelijk) verzonden, dus ook niet naar een verkeerd adres.")]
    NotSent,
    #[error(
        "Het concept voor de DPO kon niet opgesteld worden. Kijk bij Instellingen je eigen \
         e-mailadres na, en dat van de DPO onder ‘Bewaren en datalekken’."
    )]
    Draft,
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    Retention(#[from] RetentionError),
    #[error(transparent)]
    Worker(#[from] WorkerError),
    #[error(transparent)]
    Correction(#[from] CorrectionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests;
