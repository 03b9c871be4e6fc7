//! The one way Aanmelder makes a 7z archive: AES-256, header encrypted, 2^19 key-derivation
//! rounds, a fresh 16-byte salt and IV.
//!
//! "AES 256 encryption via 7-zip" is the channel the agreements name (002 art. 6). The e-mail
//! itself is not encrypted, so the file names inside must be hidden too: the header is always
//! encrypted. [`seal`] takes a [`Password`], which cannot be empty, and offers no switch for a
//! clear header; the `zesven` writer is not reachable from outside this module.
//!
//! `zesven` derives the key feeding each round's salt, password and counter to SHA-256 as one
//! block, as 7-Zip does; that is a fifth faster than three separate updates per round, which is
//! most of the time a package takes.

use std::io::Cursor;

use zesven::codec::CodecMethod;
use zesven::crypto::NoncePolicy;
use zesven::{ArchivePath, WriteOptions, Writer};

use super::password::Password;

/// 7-Zip's own default for its AES key derivation: 2^19 rounds of SHA-256.
pub const KEY_DERIVATION_POWER: u8 = 19;
/// The largest salt the 7z format carries; fresh for every archive.
pub const SALT_BYTES: usize = 16;

/// Encrypts `files` (name, bytes) into one solid 7z archive, in memory.
pub fn seal(files: &[(&str, &[u8])], password: &Password) -> Result<Vec<u8>, ArchiveError> {
    if files.is_empty() {
        return Err(ArchiveError::Empty);
    }
    let options = WriteOptions::new()
        .method(CodecMethod::Lzma2)
        // The files are small: the fastest level compresses them as well as the default.
        .level(1)
        .map_err(ArchiveError::from)?
        // One solid stream for all files, so there is one IV for the data and one for the header.
        .solid()
        .password(password.expose())
        .nonce_policy(NoncePolicy::Random {
            num_cycles_power: KEY_DERIVATION_POWER,
            salt_size: SALT_BYTES,
        })
        .encrypt_header(true);
    let mut writer = Writer::create(Cursor::new(Vec::new()))?.options(options);
    for (name, bytes) in files {
        writer.add_bytes(ArchivePath::new(name)?, bytes)?;
    }
    let (_, sink) = writer.finish_into_inner()?;
    Ok(sink.into_inner())
}

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("Er is niets om in het pakket te stoppen.")]
    Empty,
    #[error("Het besturingssysteem gaf geen willekeurige getallen voor de versleuteling: {0}")]
    Random(String),
    #[error("Het versleutelde pakket kon niet gemaakt worden: {0}")]
    SevenZip(#[from] zesven::Error),
}
