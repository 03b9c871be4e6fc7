//! The client's receipt: a printable page in the language of the five points, saying which OCMW
//! will call, which data went, and how to take consent back. It never holds the password.

use serde::Deserialize;

use super::document::{self, Block};
use super::{PackageError, Referrer};
use crate::agreement::Agreement;
use crate::consent::Language;
use crate::referral::ReadyReferral;

const TEXTS: &str = include_str!("../../texts/receipt-2026-1.json");

#[derive(Deserialize)]
struct File {
    languages: Languages,
}

#[derive(Deserialize)]
struct Languages {
    nl: Texts,
    fr: Texts,
    en: Texts,
}

#[derive(Deserialize)]
struct Texts {
    title: String,
    reference: String,
    date: String,
    intro: String,
    data_heading: String,
    name: String,
    address: String,
    phone: String,
    email: String,
    none: String,
    withdraw_heading: String,
    withdraw: String,
    privacy_heading: String,
    privacy: String,
    footer: String,
}

pub(super) fn render(
    ready: &ReadyReferral,
    agreement: &Agreement,
    referrer: &Referrer,
) -> Result<Vec<u8>, PackageError> {
    let file: File = serde_json::from_str(TEXTS).map_err(|e| PackageError::Json(e.to_string()))?;
    let language = ready.consent.language;
    let t = match language {
        Language::Nl => file.languages.nl,
        Language::Fr => file.languages.fr,
        Language::En => file.languages.en,
    };
    let fill = |s: &str| {
        s.replace("{recipient}", &ready.recipient_name)
            .replace("{worker}", &referrer.name)
            .replace("{team}", &referrer.team)
            .replace("{worker_phone}", &referrer.phone)
            .replace("{worker_email}", &referrer.email)
            .replace("{reference}", ready.reference.as_str())
            .replace("{dpo}", &agreement.dpo_email)
    };
    let c = &ready.client;
    let blocks = vec![
        Block::Title(t.title.clone()),
        Block::Subtitle(format!(
            "{} {} · {} {}",
            t.reference,
            ready.reference,
            t.date,
            ready.consent.given_at.format("%d/%m/%Y")
        )),
        Block::Paragraph(fill(&t.intro)),
        Block::Heading(t.data_heading),
        Block::Field(t.name, c.full_name()),
        Block::Field(t.address, c.address.to_string()),
        Block::Field(t.phone, c.phone.clone().unwrap_or_else(|| t.none.clone())),
        Block::Field(t.email, c.email.clone().unwrap_or(t.none)),
        Block::Heading(t.withdraw_heading),
        Block::Paragraph(fill(&t.withdraw)),
        Block::Heading(t.privacy_heading),
        Block::Paragraph(fill(&t.privacy)),
        Block::Small(fill(&t.footer)),
    ];
    let bcp47 = match language {
        Language::Nl => "nl-BE",
        Language::Fr => "fr-BE",
        Language::En => "en",
    };
    Ok(document::render(&t.title, bcp47, &blocks)?)
}
