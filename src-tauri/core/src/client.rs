//! The client's four data: what the worker typed, and the same validated.
//!
//! Decree art. 10/1 allows exactly four identification data: name, address, phone and e-mail.
//! [`ClientData`] has room for those and nothing else (no national register number, birth date,
//! notes or children), and every value in it has passed validation. The new referral and the
//! correction both take a client through [`ClientData::validate`].

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization as _;

use crate::error::{Coded, FieldMessage};
use crate::residence::{Gazetteer, Recipient, ResidenceError};

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

impl Address {
    /// The street of an address as [`Address`]'s `Display` writes it ("Boerenkrijglaan 12 bus
    /// 3, 2260 Westerlo" gives "Boerenkrijglaan"): what is left of a corrected address.
    pub(crate) fn street_of(shown: &str) -> &str {
        let place = shown.split_once(", ").map_or(shown, |(place, _)| place);
        let place = place.split_once(" bus ").map_or(place, |(place, _)| place);
        // A house number starts with a digit and may hold spaces ("12 A", "12 - 14"), and a
        // street may hold digits ("Laan van 1940"): the number is the last word that starts
        // with a digit, with what a "-" or "/" joins to it before.
        let starts: Vec<usize> = std::iter::once(0)
            .chain(place.match_indices(' ').map(|(i, _)| i + 1))
            .collect();
        let word = |k: usize| place[starts[k]..].split(' ').next().unwrap_or_default();
        let digit = |k: usize| word(k).starts_with(|c: char| c.is_ascii_digit());
        let Some(mut k) = (1..starts.len()).rev().find(|&k| digit(k)) else {
            return place;
        };
        loop {
            if k >= 3 && matches!(word(k - 1), "-" | "/") && digit(k - 2) {
                k -= 2;
            } else if k >= 2 && digit(k - 1) && word(k - 1).ends_with(['-', '/']) {
                k -= 1;
            } else {
                break;
            }
        }
        place[..starts[k]].trim_end()
    }
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
    ) -> Result<(Self, Recipient), InvalidClient> {
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
                        "Telefoon: dit is geen geldig telefoonnummer. Typ een Belgisch nummer (bv. 0470 12 34 \
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
            _ => Err(InvalidClient(problems)),
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
    let municipality = gazetteer
        .lookup(postal_code)?
        .chosen(municipality_code)
        .cloned()
        .ok_or_else(|| ResidenceError::UnknownMunicipality(municipality_code.to_owned()))?;
    let recipient = gazetteer.recipient(&municipality.code)?;
    Ok((
        postal_code.to_owned(),
        municipality.code,
        municipality.name_nl,
        recipient,
    ))
}

/// What is wrong with the client's data, field by field.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" "))]
pub struct InvalidClient(pub Vec<FieldMessage>);

impl Coded for InvalidClient {
    fn code(&self) -> &'static str {
        "referral.invalid"
    }

    fn field(&self) -> Option<&'static str> {
        None
    }

    fn fields(&self) -> Vec<FieldMessage> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn the_street_of_an_address_leaves_out_any_house_number() {
        for (shown, street) in [
            ("Boerenkrijglaan 12 bus 3, 2260 Westerlo", "Boerenkrijglaan"),
            ("Kerkstraat 12A, 3290 Diest", "Kerkstraat"),
            ("Kerkstraat 12 A, 3290 Diest", "Kerkstraat"),
            ("Kerkstraat 12 - 14, 3290 Diest", "Kerkstraat"),
            ("Kerkstraat 12- 14, 3290 Diest", "Kerkstraat"),
            ("Kerkstraat 12 / 3, 3290 Diest", "Kerkstraat"),
            ("Laan van 1940 12 A, 1000 Brussel", "Laan van 1940"),
            ("Grote Markt 1, 1000 Brussel", "Grote Markt"),
        ] {
            assert_eq!(Address::street_of(shown), street, "{shown}");
        }
    }
}
