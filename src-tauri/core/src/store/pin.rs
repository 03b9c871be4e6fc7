//! The PIN that unlocks an idle-locked window, and the locked key it opens.
//!
//! While the window is locked the store is closed and its key is not in memory in usable form.
//! What stays is the key masked with a value only the right PIN can rebuild: the PIN's Argon2id
//! output `H` (kept inside the encrypted store as the PIN's hash) gives, through HMAC, a mask for
//! the key and a check value. Unlocking derives `H` again from the typed PIN; a check that does
//! not match is a wrong PIN, one that matches unmasks the key and reopens the store. Six digits
//! are few, so Argon2id's memory cost and the app's limit of five tries carry the weight.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use zeroize::{Zeroize as _, Zeroizing};

use super::{DbKey, KeyError};

type HmacSha256 = Hmac<Sha256>;

/// Fewest digits a PIN has.
pub const MIN_PIN_DIGITS: usize = 6;
/// Most digits a PIN has: long enough for anyone, short enough to type on a home visit.
pub const MAX_PIN_DIGITS: usize = 12;
/// Wrong PINs before the app closes; the next start asks for the keyring or the passphrase.
pub const PIN_TRIES: u8 = 5;

const MASK_LABEL: &[u8] = b"aanmelder lock mask v1";
const CHECK_LABEL: &[u8] = b"aanmelder lock check v1";

/// A PIN's Argon2id output and how it was made, as the store keeps it.
#[derive(Clone)]
pub struct PinHash {
    pub salt: [u8; 16],
    pub hash: Zeroizing<[u8; 32]>,
    pub m_cost_kib: u32,
    pub t_cost: u32,
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHash(…)")
    }
}

impl PinHash {
    /// Hashes a new PIN with a fresh salt. `pin` must already be valid.
    pub fn new(pin: &str, m_cost_kib: u32, t_cost: u32) -> Result<Self, KeyError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| KeyError::Random(e.to_string()))?;
        Self::derive(pin, salt, m_cost_kib, t_cost)
    }

    fn derive(pin: &str, salt: [u8; 16], m_cost_kib: u32, t_cost: u32) -> Result<Self, KeyError> {
        let params = argon2::Params::new(m_cost_kib, t_cost, 1, Some(32))
            .map_err(|_| KeyError::Malformed)?;
        let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut hash = Zeroizing::new([0u8; 32]);
        kdf.hash_password_into(pin.as_bytes(), &salt, hash.as_mut())
            .map_err(|_| KeyError::Malformed)?;
        Ok(Self {
            salt,
            hash,
            m_cost_kib,
            t_cost,
        })
    }

    /// Whether `pin` is the PIN this is the hash of, compared in constant time.
    pub fn matches(&self, pin: &str) -> Result<bool, KeyError> {
        let candidate = Self::derive(pin, self.salt, self.m_cost_kib, self.t_cost)?;
        let mut check = <HmacSha256 as hmac::Mac>::new_from_slice(candidate.hash.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        check.update(CHECK_LABEL);
        Ok(check.verify_slice(self.mac(CHECK_LABEL).as_ref()).is_ok())
    }

    fn mac(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = <HmacSha256 as hmac::Mac>::new_from_slice(self.hash.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(label);
        Zeroizing::new(mac.finalize().into_bytes().into())
    }
}

/// Whether `pin` is 6 to 12 digits.
pub fn pin_is_valid(pin: &str) -> bool {
    (MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&pin.len())
        && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The store's key while the window is locked: masked, with what it takes to check a PIN.
pub(crate) struct LockedKey {
    salt: [u8; 16],
    m_cost_kib: u32,
    t_cost: u32,
    masked: [u8; 32],
    check: [u8; 32],
    pub(crate) tries_left: u8,
}

impl std::fmt::Debug for LockedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LockedKey(tries_left: {})", self.tries_left)
    }
}

impl LockedKey {
    /// Masks `key` under the PIN whose hash is `pin`.
    pub(crate) fn seal(key: &DbKey, pin: &PinHash, tries_left: u8) -> Self {
        let mask = pin.mac(MASK_LABEL);
        let mut masked = *key.bytes();
        for (byte, m) in masked.iter_mut().zip(mask.iter()) {
            *byte ^= m;
        }
        Self {
            salt: pin.salt,
            m_cost_kib: pin.m_cost_kib,
            t_cost: pin.t_cost,
            masked,
            check: *pin.mac(CHECK_LABEL),
            tries_left,
        }
    }

    /// The key, if `pin` is the right PIN; `None` (and one try fewer) if not.
    pub(crate) fn open(&mut self, pin: &str) -> Result<Option<DbKey>, KeyError> {
        let candidate = PinHash::derive(pin, self.salt, self.m_cost_kib, self.t_cost)?;
        let mut check = <HmacSha256 as hmac::Mac>::new_from_slice(candidate.hash.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        check.update(CHECK_LABEL);
        // Constant-time comparison: how much of the check matched says nothing.
        if check.verify_slice(&self.check).is_err() {
            self.tries_left = self.tries_left.saturating_sub(1);
            return Ok(None);
        }
        let mask = candidate.mac(MASK_LABEL);
        let mut bytes = self.masked;
        for (byte, m) in bytes.iter_mut().zip(mask.iter()) {
            *byte ^= m;
        }
        let key = DbKey::from_bytes(bytes);
        bytes.zeroize();
        Ok(Some(key))
    }
}

impl Drop for LockedKey {
    fn drop(&mut self) {
        // The check too: with it, PINs could be tried against a copy of the memory.
        self.masked.zeroize();
        self.check.zeroize();
    }
}
