//! The five points and the client's answer.
//!
//! Before consent the client must be told five things (003 art. 4): purpose, which data, to
//! whom, what happens next, what to expect. The texts are versioned data
//! (`texts/five-points-<version>.json`), rendered for this client and this recipient; the SHA-256
//! of the exact rendered text goes into the consent record, so it can be shown later what the
//! client was told. A [`ConsentRecord`] can only be made from an [`Explanation`] in which every
//! point was ticked as explained.

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use ts_rs::TS;

use crate::client::ClientData;
use crate::error::Coded;
use crate::reference::Reference;
use crate::residence::Recipient;
use crate::store::StoreError;

/// The texts in force. A new wording is a new file and a new version; old versions stay so old
/// consent records can still be reproduced.
const TEXTS: &[&str] = &[
    include_str!("../texts/five-points-2026-1.json"),
    // Point 4 says who starts the help (the OCMW's social worker, with the client) and uses the
    // protocol's own examples (002 art. 2).
    include_str!("../texts/five-points-2026-2.json"),
];

/// The language the five points are shown in, chosen by the worker for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Language {
    Nl,
    Fr,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::Fr => "fr",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "nl" => Some(Self::Nl),
            "fr" => Some(Self::Fr),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// One of the five points, as the client is told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Point {
    pub key: String,
    pub title: String,
    pub body: String,
}

/// The five points rendered for one client and one recipient, with the hash of exactly this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FivePoints {
    pub version: String,
    pub language: Language,
    pub points: Vec<Point>,
    pub question: String,
    /// SHA-256 (hex) of the text as shown; see [`FivePoints::canonical_text`].
    pub sha256: String,
}

/// What the rendering needs to know besides the client.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub recipient_name: &'a str,
    pub dpo_email: &'a str,
    /// "An Peeters, Lokaal team Westerlo, 014 12 34 56": how the client reaches the worker.
    pub worker_contact: &'a str,
}

#[derive(Deserialize)]
struct TextFile {
    version: String,
    languages: Languages,
}

#[derive(Deserialize)]
struct Languages {
    nl: LanguageText,
    fr: LanguageText,
    en: LanguageText,
}

#[derive(Deserialize)]
struct LanguageText {
    points: Vec<RawPoint>,
    question: String,
}

#[derive(Deserialize)]
struct RawPoint {
    key: String,
    title: String,
    body: String,
}

/// The point keys, in the order of 003 art. 4.
pub const POINT_KEYS: [&str; 5] = ["purpose", "data", "recipient", "next", "expect"];

/// The points not among those ticked as explained.
fn missing(ticked: &[String]) -> Vec<&'static str> {
    POINT_KEYS
        .iter()
        .copied()
        .filter(|k| !ticked.iter().any(|t| t == k))
        .collect()
}

/// Whether all five points were ticked as explained: what the evaluation counts as "vijf punten
/// uitgelegd", for a consent (which needs it) and for a refusal (which does not).
pub fn all_explained(ticked: &[String]) -> bool {
    missing(ticked).is_empty()
}

/// The current text version.
pub fn current_version() -> Result<String, ConsentError> {
    let text = TEXTS.last().ok_or(ConsentError::NoTexts)?;
    let file: TextFile =
        serde_json::from_str(text).map_err(|e| ConsentError::Texts(e.to_string()))?;
    Ok(file.version)
}

impl FivePoints {
    /// Renders text `version` in `language` for this client and context.
    pub fn render(
        version: &str,
        language: Language,
        client: &ClientData,
        ctx: &Context<'_>,
    ) -> Result<Self, ConsentError> {
        let file = TEXTS
            .iter()
            .map(|t| serde_json::from_str::<TextFile>(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConsentError::Texts(e.to_string()))?
            .into_iter()
            .find(|f| f.version == version)
            .ok_or_else(|| ConsentError::UnknownVersion(version.to_owned()))?;
        let text = match language {
            Language::Nl => file.languages.nl,
            Language::Fr => file.languages.fr,
            Language::En => file.languages.en,
        };
        let keys: Vec<&str> = text.points.iter().map(|p| p.key.as_str()).collect();
        if keys != POINT_KEYS {
            return Err(ConsentError::Texts(format!("punten {keys:?}")));
        }
        let data = data_lines(client, language);
        let fill = |s: &str| {
            s.replace("{recipient}", ctx.recipient_name)
                .replace("{data}", &data)
                .replace("{dpo}", ctx.dpo_email)
                .replace("{worker}", ctx.worker_contact)
        };
        let points: Vec<Point> = text
            .points
            .into_iter()
            .map(|p| Point {
                key: p.key,
                title: fill(&p.title),
                body: fill(&p.body),
            })
            .collect();
        let mut rendered = Self {
            version: file.version,
            language,
            points,
            question: fill(&text.question),
            sha256: String::new(),
        };
        rendered.sha256 = hex::encode(Sha256::digest(rendered.canonical_text().as_bytes()));
        Ok(rendered)
    }

    /// The exact text the hash covers: version, language, each point's title and body, and the
    /// question, separated by newlines.
    pub fn canonical_text(&self) -> String {
        let mut text = format!("{}\n{}\n", self.version, self.language.code());
        for p in &self.points {
            text.push_str(&p.title);
            text.push('\n');
            text.push_str(&p.body);
            text.push('\n');
        }
        text.push_str(&self.question);
        text
    }

    /// The worker confirms which points were explained. All five, or no consent step.
    pub fn explained(&self, ticked: &[String]) -> Result<Explanation, ConsentError> {
        let missing = missing(ticked);
        if !missing.is_empty() {
            let titles = self
                .points
                .iter()
                .filter(|p| missing.contains(&p.key.as_str()))
                .map(|p| p.title.clone())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ConsentError::NotExplained(titles));
        }
        Ok(Explanation {
            version: self.version.clone(),
            language: self.language,
            sha256: self.sha256.clone(),
        })
    }
}

fn data_lines(client: &ClientData, language: Language) -> String {
    let (name, address, phone, email, none) = match language {
        Language::Nl => ("Naam", "Adres", "Telefoon", "E-mail", "(geen)"),
        Language::Fr => ("Nom", "Adresse", "Téléphone", "E-mail", "(aucun)"),
        Language::En => ("Name", "Address", "Phone", "E-mail", "(none)"),
    };
    format!(
        "• {name}: {}\n• {address}: {}\n• {phone}: {}\n• {email}: {}",
        client.full_name(),
        client.address,
        client
            .phone
            .as_deref()
            .map_or_else(|| none.to_owned(), crate::contact::shown),
        client.email.as_deref().unwrap_or(none),
    )
}

/// Proof that all five points were explained, in this text version and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    version: String,
    language: Language,
    sha256: String,
}

impl Explanation {
    /// The client consents, freely and explicitly, after the explanation.
    pub fn consent(
        self,
        reference: Reference,
        recipient: Recipient,
        worker: &str,
        given_at: DateTime<FixedOffset>,
    ) -> Result<ConsentRecord, ConsentError> {
        let worker = worker.trim();
        if worker.is_empty() {
            return Err(ConsentError::NoWorker);
        }
        Ok(ConsentRecord {
            reference,
            recipient,
            worker: worker.to_owned(),
            given_at,
            text_version: self.version,
            language: self.language,
            text_sha256: self.sha256,
        })
    }
}

/// Consent as recorded: who, when, for whom, and exactly what the client was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    reference: Reference,
    recipient: Recipient,
    worker: String,
    given_at: DateTime<FixedOffset>,
    text_version: String,
    language: Language,
    text_sha256: String,
}

impl ConsentRecord {
    pub fn reference(&self) -> &Reference {
        &self.reference
    }
    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }
    pub fn worker(&self) -> &str {
        &self.worker
    }
    pub fn given_at(&self) -> DateTime<FixedOffset> {
        self.given_at
    }
    pub fn text_version(&self) -> &str {
        &self.text_version
    }
    pub fn language(&self) -> Language {
        self.language
    }
    pub fn text_sha256(&self) -> &str {
        &self.text_sha256
    }
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

/// The register entry a consent relied on: its id, version and the version's SHA-256. Taken
/// from an [`crate::agreement::ActiveProtocol`] by the only caller, `Referral::mark_ready`, so a
/// consent is never stored without a protocol in force.
pub(crate) struct ReliedOn<'a> {
    pub agreement_id: i64,
    pub version: i64,
    pub sha256: &'a str,
}

/// Writes the consent for the referral `referral_id`, under `protocol`, in the caller's
/// transaction (the one that makes the referral ready).
pub(crate) fn record(
    conn: &Connection,
    referral_id: i64,
    consent: &ConsentRecord,
    protocol: &ReliedOn<'_>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO consent (referral_id, given_at, worker, recipient, agreement_id,
           text_version, language, text_sha256, agreement_version, agreement_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            referral_id,
            consent.given_at().to_rfc3339(),
            consent.worker(),
            consent.recipient().key(),
            protocol.agreement_id,
            consent.text_version(),
            consent.language().code(),
            consent.text_sha256(),
            protocol.version,
            protocol.sha256,
        ],
    )?;
    Ok(())
}

/// What the text's hash becomes when the client's data are wiped. The hash covers the five
/// points as shown, with the client's name, address, phone and e-mail in them: kept after the
/// purge, it would confirm a guess at who the client was. Sixty-four zeros: no text hashes to
/// it, and the column's check (64 characters) holds.
pub const WIPED_TEXT_SHA256: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Forgets the hash of the text the client was shown, for the purge of `referral_id`'s data.
pub(crate) fn forget_text(conn: &Connection, referral_id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE consent SET text_sha256 = ?2 WHERE referral_id = ?1",
        (referral_id, WIPED_TEXT_SHA256),
    )?;
    Ok(())
}

/// How many consents relied on the register entry `agreement_id`, in its version `version` or
/// (for `None`) in any.
pub(crate) fn count_relying_on(
    conn: &Connection,
    agreement_id: i64,
    version: Option<i64>,
) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM consent
         WHERE agreement_id = ?1 AND (?2 IS NULL OR agreement_version = ?2)",
        (agreement_id, version),
        |r| r.get(0),
    )?)
}

/// The consent recorded for the referral `referral_id`, if there is one.
pub(crate) fn stored(
    conn: &Connection,
    referral_id: i64,
) -> Result<Option<ConsentSummary>, StoreError> {
    let row = conn
        .query_row(
            "SELECT given_at, worker, text_version, language, text_sha256, agreement_id,
               agreement_version, agreement_sha256
             FROM consent WHERE referral_id = ?1",
            [referral_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, String>(3)?,
                    r.get(4)?,
                    (r.get(5)?, r.get(6)?, r.get(7)?),
                ))
            },
        )
        .optional()?;
    let Some((given_at, worker, text_version, language, text_sha256, relied_on)) = row else {
        return Ok(None);
    };
    let (agreement_id, agreement_version, agreement_sha256) = relied_on;
    let corrupt = || StoreError::Sqlite("onleesbaar toestemmingsverslag".into());
    Ok(Some(ConsentSummary {
        given_at: DateTime::parse_from_rfc3339(&given_at).map_err(|_| corrupt())?,
        worker,
        text_version,
        language: Language::parse(&language).ok_or_else(corrupt)?,
        text_sha256,
        agreement_id,
        agreement_version,
        agreement_sha256,
    }))
}

/// Why the consent step cannot go on.
#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "consent")]
pub enum ConsentError {
    #[error(
        "Nog niet alle vijf punten zijn uitgelegd: {0}. Leg ze uit en vink ze aan voordat je om \
         toestemming vraagt."
    )]
    NotExplained(String),
    #[error(
        "De tekst die je toonde is niet meer de tekst voor deze cliënt en ontvanger. Toon de vijf \
         punten opnieuw."
    )]
    TextChanged,
    #[error(
        "Je naam ontbreekt in de instellingen. Vul eerst je naam in: die komt in het \
         toestemmingsverslag."
    )]
    NoWorker,
    #[error("Tekstversie {0} van de vijf punten bestaat niet in deze versie van Aanmelder.")]
    UnknownVersion(String),
    #[error("De ingebouwde teksten van de vijf punten zijn beschadigd: {0}")]
    #[coded(code = "consent.texts")]
    Texts(String),
    #[error("Er zijn geen teksten voor de vijf punten ingebouwd.")]
    #[coded(code = "consent.texts")]
    NoTexts,
}

#[cfg(test)]
mod tests;
