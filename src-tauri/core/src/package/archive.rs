//! The one way Aanmelder makes a 7z archive: AES-256, header encrypted, 2^19 key-derivation
//! rounds, fresh salt and IV.
//!
//! "AES 256 encryption via 7-zip" is the channel the agreements name (002 art. 6). The e-mail
//! itself is not encrypted, so the file names inside must be hidden too: the header is always
//! encrypted. [`seal`] takes a [`Password`], which cannot be empty, and offers no switch for a
//! clear header; the `sevenz-rust2` writer is not reachable from outside this module.

use std::io::Cursor;

use sevenz_rust2::encoder_options::{AesEncoderOptions, Lzma2Options};
use sevenz_rust2::{ArchiveEntry, ArchiveWriter, SourceReader};

use super::password::Password;

/// 7-Zip's own default for its AES key derivation: 2^19 rounds of SHA-256.
pub const KEY_DERIVATION_POWER: u8 = 19;

/// Encrypts `files` (name, bytes) into one solid 7z archive, in memory.
pub fn seal(files: &[(&str, &[u8])], password: &Password) -> Result<Vec<u8>, ArchiveError> {
    if files.is_empty() {
        return Err(ArchiveError::Empty);
    }
    let secret = sevenz_rust2::Password::new(password.expose());
    // A new AesEncoderOptions draws a fresh random salt and IV.
    let mut aes = AesEncoderOptions::new(secret);
    aes.num_cycles_power = KEY_DERIVATION_POWER;
    // The files are small: the fastest LZMA2 level compresses them as well as the default.
    let lzma = Lzma2Options::from_level(1);
    let mut writer = ArchiveWriter::new(Cursor::new(Vec::new()))?;
    writer.set_content_methods(vec![aes.clone().into(), lzma.clone().into()]);
    writer.set_encrypt_header(true);
    let entries = files
        .iter()
        .map(|(name, _)| ArchiveEntry::new_file(name))
        .collect();
    let readers = files
        .iter()
        .map(|(_, bytes)| SourceReader::new(*bytes))
        .collect();
    // One solid stream for all files, so no two streams share the IV.
    writer.push_archive_entries(entries, readers)?;
    // The header is encrypted with the methods in place at `finish`: give it its own IV. The salt
    // stays, so the derived key is reused rather than derived a second time.
    let mut header = aes;
    getrandom::fill(&mut header.iv).map_err(|e| ArchiveError::Random(e.to_string()))?;
    writer.set_content_methods(vec![header.into(), lzma.into()]);
    Ok(writer
        .finish()
        .map_err(|e| ArchiveError::Write(e.to_string()))?
        .into_inner())
}

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("Er is niets om in het pakket te stoppen.")]
    Empty,
    #[error("Het besturingssysteem gaf geen willekeurige getallen voor de versleuteling: {0}")]
    Random(String),
    #[error("Het versleutelde pakket kon niet gemaakt worden: {0}")]
    SevenZip(#[from] sevenz_rust2::Error),
    #[error("Het versleutelde pakket kon niet afgewerkt worden: {0}")]
    Write(String),
}
