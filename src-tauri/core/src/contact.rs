//! E-mail addresses and phone numbers: one check each, for every form that takes one.
//!
//! A client's e-mail, a partner's referral mailbox, a DPO's address and a team member's address
//! are all typed by hand and all end up in a `To:` or on a phone's keypad. One rule for each
//! means an address accepted in one screen is never refused in another, and the day the rule
//! changes it changes everywhere.

use std::str::FromStr as _;

/// The longest address SMTP carries (RFC 5321's path limit less the angle brackets).
pub const MAX_EMAIL: usize = 254;

/// Whether `text` is an address a mail can be sent to: the syntax of RFC 5322, no spaces, and a
/// domain with a dot (no bare host names or address literals, which no partner uses).
pub fn is_email(text: &str) -> bool {
    text.len() <= MAX_EMAIL
        && !text.chars().any(char::is_whitespace)
        && email_address::EmailAddress::from_str(text).is_ok_and(|e| {
            let domain = e.domain();
            domain.contains('.')
                && !domain.starts_with('[')
                && domain.split('.').all(|label| !label.is_empty())
        })
}

/// The number that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("dit is geen geldig telefoonnummer")]
pub struct NotAPhone;

/// Parses a phone number, Belgian unless it starts with a country code, to E.164 (`+3214…`),
/// the form it is stored and dialled in.
pub fn phone(text: &str) -> Result<String, NotAPhone> {
    let number =
        phonenumber::parse(Some(phonenumber::country::Id::BE), text).map_err(|_| NotAPhone)?;
    if !phonenumber::is_valid(&number) {
        return Err(NotAPhone);
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// A stored number (E.164) as a person reads or dials it: a Belgian one in the national form
/// (`0470 12 34 56`, `014 12 00 00`), another with its country code (`+31 6 12345678`). A text
/// that is not a number is shown as it is.
pub fn shown(stored: &str) -> String {
    match phonenumber::parse(Some(phonenumber::country::Id::BE), stored) {
        Ok(number) if number.code().value() == 32 => number
            .format()
            .mode(phonenumber::Mode::National)
            .to_string(),
        Ok(number) => number
            .format()
            .mode(phonenumber::Mode::International)
            .to_string(),
        Err(_) => stored.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_a_mail_can_reach_and_those_it_cannot() {
        for good in ["aanmelding@ocmw-westerlo.be", "jan.peeters+kg@example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "geen-apenstaart",
            "jan@localhost",
            "jan@[127.0.0.1]",
            "jan @example.org",
            "jan@example..org",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(MAX_EMAIL));
        assert!(!is_email(&long));
    }

    #[test]
    fn phones_are_stored_in_e164_belgian_by_default() {
        assert_eq!(phone("014 54 75 75").as_deref(), Ok("+3214547575"));
        assert_eq!(phone("0470 12 34 56").as_deref(), Ok("+32470123456"));
        assert_eq!(phone("+31 6 12345678").as_deref(), Ok("+31612345678"));
        assert_eq!(phone("12"), Err(NotAPhone));
        assert_eq!(phone("bel me"), Err(NotAPhone));
    }

    #[test]
    fn numbers_are_shown_as_a_belgian_dials_them() {
        assert_eq!(shown("+32470123456"), "0470 12 34 56");
        assert_eq!(shown("+3214120000"), "014 12 00 00");
        assert_eq!(shown("+3225000000"), "02 500 00 00");
        assert_eq!(shown("+31612345678"), "+31 6 12345678");
        assert_eq!(shown("onbekend"), "onbekend");
    }
}
