//! A referral's reference: the one name a referral has outside the store.
//!
//! It goes into the mail subject, the package, the receipt and the phone call with the OCMW, so
//! it is random and says nothing about the client, and it is short enough to read aloud.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A referral's reference: `AM-` and eight Crockford base32 characters, random, so it says
/// nothing about the client and can be read over the phone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Reference(String);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl Reference {
    pub fn generate() -> Result<Self, NoRandom> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| NoRandom(e.to_string()))?;
        let chars: String = bytes
            .iter()
            .map(|b| char::from(CROCKFORD[usize::from(b % 32)]))
            .collect();
        Ok(Self(format!("AM-{}-{}", &chars[..4], &chars[4..])))
    }

    /// A reference as the store keeps it, written by [`Reference::generate`].
    pub(crate) fn stored(text: String) -> Self {
        Self(text)
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

/// The operating system gave no random numbers, so no reference could be made.
#[derive(Debug, thiserror::Error)]
#[error("Het besturingssysteem gaf geen willekeurige getallen: {0}")]
pub struct NoRandom(pub String);
