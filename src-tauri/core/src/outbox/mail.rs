//! The e-mail that carries a package: neutral subject and body, the 7z as its only attachment.
//!
//! The mail itself is not encrypted (domain.md, "The channel"), so nothing in its headers or body
//! names the client: only the reference, the referring worker and what to do with the password.
//!
//! Every mail asks for a read receipt (`Disposition-Notification-To`, RFC 8098) and asks the
//! OCMW to confirm by replying: either tells the worker's app that the package arrived, so its
//! archive can be destroyed (see [`super::receipts`]).

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Timelike as _};
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue, MessageId,
};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::PackageKind;
use crate::worker::WorkerProfile;

/// What the mail needs to know; none of it is client data.
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    pub kind: PackageKind,
    pub reference: &'a str,
    pub message_id: &'a str,
    /// Who referred: named in the mail so the OCMW knows whom to call for the password.
    pub worker: &'a WorkerProfile,
    pub mailbox: &'a str,
    pub file_name: &'a str,
    pub archive: &'a [u8],
    /// The mail's Date: when this attempt was made (whole seconds, as the header keeps it).
    pub date: DateTime<FixedOffset>,
}

/// A composed mail: its envelope addresses and its bytes (RFC 5322).
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub from: Address,
    pub to: Address,
    pub bytes: Vec<u8>,
    /// Its Date header, which a bounce returns: the outbox records it with the attempt.
    pub date: DateTime<FixedOffset>,
}

/// Composes the mail for one package.
pub fn compose(letter: &Letter<'_>) -> Result<OutgoingMail, MailError> {
    // The header keeps whole seconds: so does the record, so the two compare equal.
    let date = letter.date.with_nanosecond(0).unwrap_or(letter.date);
    let from_address: Address = letter
        .worker
        .email
        .parse()
        .map_err(|_| MailError::From(letter.worker.email.to_owned()))?;
    let to: Address = letter
        .mailbox
        .parse()
        .map_err(|_| MailError::To(letter.mailbox.to_owned()))?;
    let (subject, opening) = match letter.kind {
        PackageKind::Referral => (
            "Aanmelding",
            "In bijlage vindt u een aanmelding van Kind en Gezin met referentie {reference}, \
             doorgegeven met de uitdrukkelijke toestemming van de cliënt (decreet van 30 april \
             2004, art. 10/1). Open het bestand met 7-Zip en lees aanmelding.pdf.",
        ),
        PackageKind::Correction => (
            "Correctie aanmelding",
            "In bijlage vindt u gecorrigeerde gegevens voor de aanmelding met referentie \
             {reference}. Ze vervangen de gegevens die u eerder met dezelfde referentie kreeg. \
             Open het bestand met 7-Zip en lees aanmelding.pdf.",
        ),
        PackageKind::Withdrawal => (
            "Intrekking toestemming",
            "De cliënt van de aanmelding met referentie {reference} heeft de toestemming \
             ingetrokken. Wis alle gegevens van deze aanmelding. In bijlage staat om wie het gaat; \
             open het bestand met 7-Zip en lees intrekking.pdf.",
        ),
    };
    let body = format!(
        "Beste collega,\n\n{opening}\n\n\
         De bijlage is versleuteld (7-Zip, AES-256). Het wachtwoord krijgt u apart, per telefoon \
         of sms, van de doorverwijzer. Typ het precies zoals u het krijgt: vier groepen van vier \
         tekens, met de hoofdletters en de streepjes ertussen (zoals ABCD-EFGH-JKMN-PQRS).\n\n\
         Bevestig de ontvangst door dit bericht te beantwoorden; dan wist de doorverwijzer het \
         pakket en het wachtwoord aan haar of zijn kant.\n\n\
         Vragen? Bel {name} ({team}) op {phone} en noem de referentie {reference}.\n\n\
         Dit bericht zelf bevat geen gegevens van de cliënt.\n",
        opening = opening.replace("{reference}", letter.reference),
        reference = letter.reference,
        name = letter.worker.name,
        team = letter.worker.team,
        phone = crate::contact::shown(&letter.worker.phone),
    );
    let attachment = Attachment::new(letter.file_name.to_owned()).body(
        letter.archive.to_vec(),
        ContentType::parse("application/x-7z-compressed").map_err(|_| MailError::Build)?,
    );
    let message = Message::builder()
        .from(Mailbox::new(
            Some(letter.worker.name.to_owned()),
            from_address.clone(),
        ))
        .to(Mailbox::new(None, to.clone()))
        .subject(format!("{subject} {} – Kind en Gezin", letter.reference))
        .header(MessageId::from(letter.message_id.to_owned()))
        .date(SystemTime::from(date))
        .header(DispositionNotificationTo(from_address.to_string()))
        .multipart(
            MultiPart::mixed()
                // Quoted-printable keeps the text readable in any mail client's "view source".
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .header(ContentTransferEncoding::QuotedPrintable)
                        .body(body),
                )
                .singlepart(attachment),
        )
        .map_err(|_| MailError::Build)?;
    Ok(OutgoingMail {
        from: from_address,
        to,
        bytes: message.formatted(),
        date,
    })
}

/// `Disposition-Notification-To`: where the recipient's mail program sends a read receipt.
#[derive(Debug, Clone)]
struct DispositionNotificationTo(String);

impl Header for DispositionNotificationTo {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Disposition-Notification-To")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Why a mail could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("Je e-mailadres in de instellingen ({0}) kan geen afzender zijn. Pas het aan.")]
    From(String),
    #[error("De aanmeldmailbox van de partner ({0}) is geen geldig adres. Pas het register aan.")]
    To(String),
    #[error("Het bericht kon niet opgesteld worden.")]
    Build,
}
