//! The password of a package.
//!
//! The archive travels by e-mail; its password travels by another channel, read aloud over the
//! phone or sent by SMS (004). So it is made for reading aloud: Crockford's base32 alphabet (no I,
//! L, O or U, nothing that sounds or looks alike), in groups of four. Sixteen characters drawn
//! uniformly from 32 give exactly 80 bits of entropy.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Crockford's base32 alphabet.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a generated password, not counting the group separators.
pub const LENGTH: usize = 16;
const GROUP: usize = 4;

/// A package password. Never printed by `Debug`; wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// A fresh random password: 16 characters in four groups, e.g. `K7QM-3XPD-9WRT-A2HN`.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; LENGTH];
        getrandom::fill(&mut bytes)?;
        // 256 is a multiple of 32, so `b % 32` is uniform: no bias, full 5 bits per character.
        // Written straight into a buffer of the final size, so no partial copy is left behind.
        let mut text = String::with_capacity(LENGTH + LENGTH / GROUP - 1);
        for (i, b) in bytes.iter().enumerate() {
            if i > 0 && i % GROUP == 0 {
                text.push('-');
            }
            text.push(char::from(ALPHABET[usize::from(b % 32)]));
        }
        bytes.zeroize();
        Ok(Self(text))
    }

    /// The password as the worker reads it out, and as 7-Zip expects it typed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Bits of entropy of a generated password: length × log2(alphabet size).
    pub fn generated_entropy_bits() -> f64 {
        LENGTH as f64 * (ALPHABET.len() as f64).log2()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

#[cfg(test)]
mod tests;
