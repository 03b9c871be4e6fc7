//! The database key and where it is kept.
//!
//! The key is 256 bits from the operating system's CSPRNG, kept in the OS keyring (Secret
//! Service, Keychain, Windows Credential Manager) and handed to SQLCipher as a raw key, which skips
//! SQLCipher's own slow KDF. Where no keyring exists (a bare Linux session), the key is derived
//! from a passphrase the worker chooses, with Argon2id. The key itself is never written to a file:
//! the only file beside the database is a [`KeyScheme`] that says *how* to get the key.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Coded;

/// Name under which Aanmelder's entries appear in the OS keyring.
pub const KEYRING_SERVICE: &str = "be.kindengezin.aanmelder";

/// Shortest passphrase accepted when there is no keyring.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The key that seals the ledger's chain: HMAC-SHA-256 of a fixed label under the database key.
/// It lives beside the database key because it is only ever derived from it; the ledger uses
/// it, the store hands it out.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct LedgerKey([u8; 32]);

/// The label the ledger key is derived under; changing it would break every existing chain.
const LEDGER_KEY_LABEL: &[u8] = b"be.kindengezin.aanmelder/ledger/v1";

impl LedgerKey {
    pub(crate) fn derive(db_key: &DbKey) -> Self {
        use hmac::Mac as _;
        // HMAC takes keys of any length, so this cannot fail. The label goes in with its length
        // in front, as every input to the ledger's MACs does.
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(db_key.bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(&(LEDGER_KEY_LABEL.len() as u64).to_be_bytes());
        mac.update(LEDGER_KEY_LABEL);
        Self(mac.finalize().into_bytes().into())
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LedgerKey(…)")
    }
}

/// A SQLCipher database key. Wiped from memory when dropped; never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct DbKey([u8; 32]);

impl DbKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, KeyError> {
        // Filled in place: a local array moved into the key would stay behind unwiped.
        let mut key = Self([0u8; 32]);
        getrandom::fill(&mut key.0).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(key)
    }

    /// Derives the key from a passphrase with Argon2id and the parameters in `params`.
    pub fn from_passphrase(passphrase: &str, params: &PassphraseParams) -> Result<Self, KeyError> {
        let salt = hex::decode(&params.salt).map_err(|_| KeyError::Malformed)?;
        let argon = argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
            .map_err(|_| KeyError::Malformed)?;
        let kdf = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon);
        let mut key = Self([0u8; 32]);
        kdf.hash_password_into(passphrase.as_bytes(), &salt, &mut key.0)
            .map_err(|_| KeyError::Malformed)?;
        Ok(key)
    }

    /// The value for `PRAGMA key`: SQLCipher's raw-key syntax, `"x'<64 hex digits>'"`. Built in
    /// one zeroed buffer: a `format!` over `hex::encode` would leave two unzeroed copies behind.
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        let mut value = Zeroizing::new(String::with_capacity(68));
        value.push_str("\"x'");
        value.push_str(&self.to_hex());
        value.push_str("'\"");
        value
    }

    /// The whole `PRAGMA key = …;` statement, in a zeroed buffer too.
    pub(crate) fn pragma_statement(&self) -> Zeroizing<String> {
        let mut statement = Zeroizing::new(String::with_capacity(84));
        statement.push_str("PRAGMA key = ");
        statement.push_str(&self.pragma_value());
        statement.push(';');
        statement
    }

    /// A key rebuilt from its bytes (the idle lock's unmasking).
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw key, for deriving the ledger's key from it.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn to_hex(&self) -> Zeroizing<String> {
        // Encoded into a buffer of the final size, so no growing copy is left unzeroed.
        let mut text = Zeroizing::new(String::with_capacity(64));
        for byte in self.0 {
            for nibble in [byte >> 4, byte & 0x0f] {
                text.push(char::from(b"0123456789abcdef"[usize::from(nibble)]));
            }
        }
        text
    }

    fn from_hex(text: &str) -> Result<Self, KeyError> {
        let decoded = Zeroizing::new(hex::decode(text.trim()).map_err(|_| KeyError::Malformed)?);
        if decoded.len() != 32 {
            return Err(KeyError::Malformed);
        }
        let mut key = Self([0u8; 32]);
        key.0.copy_from_slice(&decoded);
        Ok(key)
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(…)")
    }
}

/// Argon2id parameters and salt for a passphrase-protected store. Not secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassphraseParams {
    /// Hex-encoded 16-byte random salt.
    pub salt: String,
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl PassphraseParams {
    /// OWASP's recommended Argon2id setting (64 MiB, 3 passes) with a fresh salt.
    pub fn recommended() -> Result<Self, KeyError> {
        Self::with_costs(64 * 1024, 3, 1)
    }

    /// A fresh salt with the given costs; tests use small costs to stay fast.
    pub fn with_costs(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, KeyError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self {
            salt: hex::encode(salt),
            m_cost_kib,
            t_cost,
            p_cost,
        })
    }
}

/// How the key of a store is obtained: the contents of `key-scheme.json` beside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyScheme {
    /// The key is in the OS keyring under [`KEYRING_SERVICE`] and this account name.
    Keyring { account: String },
    /// The key is derived from the worker's passphrase.
    Passphrase(PassphraseParams),
}

impl KeyScheme {
    /// A random keyring account name, so two stores never share an entry.
    pub fn new_keyring_account() -> Result<String, KeyError> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(format!("databank-{}", hex::encode(id)))
    }
}

/// The key-scheme file as stored: the scheme plus whether the database was fully created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SchemeFile {
    pub scheme: KeyScheme,
    /// False between writing this file and finishing the first migration of a new store, so a
    /// crash in that window resumes creation instead of reporting a lost database.
    pub initialised: bool,
}

impl SchemeFile {
    pub(crate) fn read(path: &Path) -> Result<Option<Self>, KeyError> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| KeyError::SchemeUnreadable),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(KeyError::Io(crate::error::io_reason(&e))),
        }
    }

    /// Writes atomically: a crash leaves either the old file or the new one, never half of one.
    pub(crate) fn write(&self, path: &Path) -> Result<(), KeyError> {
        let io = |e: std::io::Error| KeyError::Io(crate::error::io_reason(&e));
        let json = serde_json::to_vec_pretty(self).map_err(|e| KeyError::Io(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        let mut file = fs::File::create(&tmp).map_err(io)?;
        file.write_all(&json).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }
}

/// Somewhere a database key can be kept and found again by account name.
///
/// The real implementation is [`OsKeyring`]; unit tests use an in-memory fake.
pub trait KeyVault: Send + Sync {
    fn save(&self, account: &str, key: &DbKey) -> Result<(), KeyError>;
    fn load(&self, account: &str) -> Result<DbKey, KeyError>;
}

/// The operating system's keyring, through the `keyring` crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(account: &str) -> Result<keyring::Entry, KeyError> {
        keyring::Entry::new(KEYRING_SERVICE, account).map_err(keyring_error)
    }
}

impl KeyVault for OsKeyring {
    fn save(&self, account: &str, key: &DbKey) -> Result<(), KeyError> {
        Self::entry(account)?
            .set_password(&key.to_hex())
            .map_err(keyring_error)
    }

    fn load(&self, account: &str) -> Result<DbKey, KeyError> {
        let text = Zeroizing::new(
            Self::entry(account)?
                .get_password()
                .map_err(keyring_error)?,
        );
        DbKey::from_hex(&text)
    }
}

/// The keyring's errors as the worker reads them: in Dutch, with the system's own (English)
/// words only where nothing else tells IT what went wrong.
fn keyring_error(e: keyring::Error) -> KeyError {
    match e {
        keyring::Error::NoEntry => KeyError::Missing,
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => KeyError::Malformed,
        // A locked keyring whose unlock prompt was dismissed, or access refused.
        keyring::Error::NoStorageAccess(_) => KeyError::KeyringLocked,
        keyring::Error::NoDefaultStore | keyring::Error::NotSupportedByStore(_) => {
            KeyError::KeyringUnavailable("dit systeem heeft geen sleutelbos".into())
        }
        keyring::Error::PlatformFailure(why) => KeyError::KeyringUnavailable(format!(
            "er antwoordt geen sleutelbos; melding van het systeem: {why}"
        )),
        other => KeyError::KeyringUnavailable(format!(
            "de sleutelbos gaf een onverwachte fout; melding van het systeem: {other}"
        )),
    }
}

/// Why a key could not be made, kept or found.
/// Where the worker finds the keyring on this platform, for the message that it cannot be
/// reached: each system names it differently.
#[cfg(target_os = "windows")]
const KEYRING_HELP: &str =
    "Meld je aan met je eigen Windows-account, zodat Windows Referentiebeheer bereikbaar is,";
#[cfg(target_os = "macos")]
const KEYRING_HELP: &str = "Ontgrendel je sleutelhanger (Sleutelhangertoegang)";
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const KEYRING_HELP: &str =
    "Meld je aan op een bureaublad met sleutelbos (bv. GNOME Keyring) of ontgrendel de sleutelbos";

#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "key")]
pub enum KeyError {
    #[error(
        "De sleutelbos van het besturingssysteem is niet bereikbaar ({0}). {KEYRING_HELP} en \
         start Aanmelder opnieuw."
    )]
    KeyringUnavailable(String),
    /// The keyring is there but locked, or refused Aanmelder: the worker can unlock it.
    #[error(
        "De sleutelbos van het besturingssysteem is vergrendeld of gaf Aanmelder geen toegang. \
         {KEYRING_HELP} en start Aanmelder opnieuw."
    )]
    KeyringLocked,
    #[error(
        "De sleutel van de databank staat niet meer in de sleutelbos. Zonder die sleutel kan \
         Aanmelder de gegevens niet openen. Het bestand blijft onaangeroerd: neem contact op met \
         je ICT-ondersteuning om de sleutelbos of een back-up terug te zetten."
    )]
    Missing,
    #[error(
        "De sleutel in de sleutelbos heeft een onverwachte vorm. Het databankbestand blijft \
         onaangeroerd: neem contact op met je ICT-ondersteuning."
    )]
    Malformed,
    #[error(
        "Het bestand dat beschrijft hoe de databank beveiligd is (key-scheme.json) is \
         onleesbaar. Zet het terug uit een back-up; de databank zelf blijft onaangeroerd."
    )]
    SchemeUnreadable,
    #[error("Het besturingssysteem gaf geen willekeurige getallen voor een nieuwe sleutel: {0}")]
    Random(String),
    #[error("Het sleutelbestand kon niet gelezen of geschreven worden: {0}")]
    Io(String),
}

#[cfg(test)]
mod tests;
