//! The one way Aanmelder makes a 7z archive: AES-256, header encrypted, 2^19 key-derivation
//! rounds, a fresh IV for every stream.
//!
//! "AES 256 encryption via 7-zip" is the channel the agreements name (002 art. 6). The e-mail
//! itself is not encrypted, so the file names inside must be hidden too: the header is always
//! encrypted. [`seal`] takes a [`Password`], which cannot be empty, and offers no switch for a
//! clear header.
//!
//! The OCMW opens the package with whatever it has: 7-Zip, The Unarchiver, a Python script with
//! `py7zr`, a Java library. Independent readers agree on what 7-Zip itself writes and not always
//! on what the format merely allows: `py7zr` took the size of an encoded header from the *last*
//! coder's output, which is right only when the coders are listed the way 7-Zip lists them, AES
//! first. So this module writes the layout 7-Zip 26 writes for `7zz a -mhe=on -p…`, byte for byte
//! in its structure (see [`encoded_header`]): one solid folder `AES → LZMA2` for the files, one
//! folder `AES → LZMA` for the header, each with the AES coder first and a bind pair from the
//! AES output to the decompressor's input, 7-Zip's property order, and no timestamps.
//!
//! **No salt.** 7-Zip's encoder derives the key from the password alone (its coder properties
//! read `53 0f`: 2^19 rounds, an IV, no salt), and so do we. A salt is there to make one
//! password give different keys, so that a table computed once serves no second archive. Our
//! passwords are 80 random bits, new for every package: no two packages share one, and a table
//! over 2^80 passwords at 2^19 hashes each cannot be computed, salt or no salt. What a salt would
//! cost is real: 16 more bytes in every one of the 2^19 rounds (62 bytes a round instead of 46),
//! a third more time for the worker and the OCMW alike. Each stream still gets a fresh random IV,
//! so two packages of the same files never share a byte of ciphertext.

use std::io::Write as _;

use aes::cipher::{BlockEncryptMut as _, KeyIvInit as _, block_padding::NoPadding};
use lzma_rust2::{Lzma2Options, Lzma2Writer, LzmaOptions, LzmaWriter};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::password::Password;

/// 7-Zip's own default for its AES key derivation: 2^19 rounds of SHA-256.
pub const KEY_DERIVATION_POWER: u8 = 19;
/// No salt, as 7-Zip writes (see the module's documentation).
pub const SALT_BYTES: usize = 0;

const SIGNATURE: [u8; 6] = [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C];
const SIGNATURE_HEADER_BYTES: u64 = 32;
/// Format version 0.4, as 7-Zip writes.
const VERSION: [u8; 2] = [0, 4];

const METHOD_AES: &[u8] = &[0x06, 0xF1, 0x07, 0x01];
const METHOD_LZMA2: &[u8] = &[0x21];
const METHOD_LZMA: &[u8] = &[0x03, 0x01, 0x01];

/// The property ids of the 7z header this module writes (7zFormat.txt).
mod id {
    pub const END: u8 = 0x00;
    pub const HEADER: u8 = 0x01;
    pub const MAIN_STREAMS_INFO: u8 = 0x04;
    pub const FILES_INFO: u8 = 0x05;
    pub const PACK_INFO: u8 = 0x06;
    pub const UNPACK_INFO: u8 = 0x07;
    pub const SUBSTREAMS_INFO: u8 = 0x08;
    pub const SIZE: u8 = 0x09;
    pub const CRC: u8 = 0x0A;
    pub const FOLDER: u8 = 0x0B;
    pub const CODERS_UNPACK_SIZE: u8 = 0x0C;
    pub const NUM_UNPACK_STREAM: u8 = 0x0D;
    pub const NAME: u8 = 0x11;
    pub const ENCODED_HEADER: u8 = 0x17;
}

/// Encrypts `files` (name, bytes) into one solid 7z archive, in memory.
pub fn seal(files: &[(&str, &[u8])], password: &Password) -> Result<Vec<u8>, ArchiveError> {
    if files.is_empty() {
        return Err(ArchiveError::Empty);
    }
    if files.iter().any(|(_, bytes)| bytes.is_empty()) {
        // An empty file is a different entry in 7z's header; no package has one.
        return Err(ArchiveError::Empty);
    }
    let key = derive_key(password.expose());

    // The files, one after the other, as one LZMA2 stream: one folder, one IV.
    let total: usize = files.iter().map(|(_, bytes)| bytes.len()).sum();
    let (data_props, compressed) = lzma2(files.iter().map(|(_, bytes)| *bytes), total)?;
    let data_iv = fresh_iv()?;
    let packed_data = encrypt(&key, &data_iv, &compressed);

    let header = Zeroizing::new(plain_header(
        files,
        &Folder {
            aes_iv: data_iv,
            decompressor: (METHOD_LZMA2, &[data_props]),
            sizes: [compressed.len() as u64, total as u64],
            crc: None,
        },
        packed_data.len() as u64,
    ));
    let (header_props, compressed_header) = lzma(&header)?;
    let header_iv = fresh_iv()?;
    let packed_header = encrypt(&key, &header_iv, &compressed_header);
    let next_header = encoded_header(
        &Folder {
            aes_iv: header_iv,
            decompressor: (METHOD_LZMA, &header_props),
            sizes: [compressed_header.len() as u64, header.len() as u64],
            crc: Some(crc32fast::hash(&header)),
        },
        packed_data.len() as u64,
        packed_header.len() as u64,
    );

    let mut archive = Vec::with_capacity(
        SIGNATURE_HEADER_BYTES as usize + packed_data.len() + packed_header.len() + 64,
    );
    archive.extend_from_slice(&signature_header(
        (packed_data.len() + packed_header.len()) as u64,
        &next_header,
    ));
    archive.extend_from_slice(&packed_data);
    archive.extend_from_slice(&packed_header);
    archive.extend_from_slice(&next_header);
    Ok(archive)
}

/// 7-Zip's key: SHA-256 over 2^19 rounds of (password in UTF-16LE, round number as 8 bytes
/// little-endian), fed as one stream.
///
/// The rounds are written into a buffer and hashed in large pieces, so SHA-256 runs over whole
/// blocks (with the CPU's SHA instructions where it has them) and not once per round.
fn derive_key(password: &str) -> Zeroizing<[u8; 32]> {
    const ROUNDS_PER_CHUNK: usize = 1024;
    let utf16 = Zeroizing::new(
        password
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    let round_bytes = utf16.len() + 8;
    let mut chunk = Zeroizing::new(vec![0u8; round_bytes * ROUNDS_PER_CHUNK]);
    for round in chunk.chunks_exact_mut(round_bytes) {
        round[..utf16.len()].copy_from_slice(&utf16);
    }
    let mut sha = Sha256::new();
    let rounds = 1u64 << KEY_DERIVATION_POWER;
    let mut counter = 0u64;
    while counter < rounds {
        let here = (rounds - counter).min(ROUNDS_PER_CHUNK as u64) as usize;
        for round in chunk.chunks_exact_mut(round_bytes).take(here) {
            round[utf16.len()..].copy_from_slice(&counter.to_le_bytes());
            counter += 1;
        }
        sha.update(&chunk[..here * round_bytes]);
    }
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&sha.finalize());
    key
}

fn fresh_iv() -> Result<[u8; 16], ArchiveError> {
    let mut iv = [0u8; 16];
    getrandom::fill(&mut iv).map_err(|e| ArchiveError::Random(e.to_string()))?;
    Ok(iv)
}

/// AES-256-CBC, the last block filled with zeros: 7z readers take the real length from the
/// coder's unpack size, not from a padding scheme.
fn encrypt(key: &[u8; 32], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    let mut buffer = plain.to_vec();
    buffer.resize(plain.len().div_ceil(16) * 16, 0);
    let length = buffer.len();
    // The buffer is a whole number of blocks, so the padding cannot fail.
    let _ = cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buffer, length);
    buffer
}

/// The smallest dictionary (at least 4 KiB) that holds `size` bytes: no match reaches further
/// back than the data, and a small one is quicker to set up and asks less of the reader.
fn dictionary_for(size: usize) -> (u32, u8) {
    (0u8..=40)
        .map(|p| (u32::from(2 | (p & 1)) << (p / 2 + 11), p))
        .find(|&(dictionary, _)| dictionary as usize >= size)
        .unwrap_or((u32::MAX, 40))
}

fn options(size: usize) -> (LzmaOptions, u8) {
    let (dictionary, property) = dictionary_for(size);
    // The files are small: the fastest level compresses them as well as the default.
    let mut options = LzmaOptions::with_preset(1);
    options.dict_size = dictionary;
    (options, property)
}

/// LZMA2 over `parts` (`size` bytes in all): its one property byte (the dictionary) and the
/// stream.
fn lzma2<'a>(
    parts: impl Iterator<Item = &'a [u8]>,
    size: usize,
) -> Result<(u8, Zeroizing<Vec<u8>>), ArchiveError> {
    let (lzma_options, property) = options(size);
    // Room for incompressible data, so the buffer is not reallocated (and a copy left behind).
    let mut stream = Zeroizing::new(Vec::with_capacity(size + size / 16 + 64));
    let mut writer = Lzma2Writer::new(
        &mut *stream,
        Lzma2Options {
            lzma_options,
            chunk_size: None,
        },
    );
    for part in parts {
        writer.write_all(part).map_err(ArchiveError::Compress)?;
    }
    writer.finish().map_err(ArchiveError::Compress)?;
    Ok((property, stream))
}

/// LZMA without end marker (the size is in the header), its five property bytes and the
/// stream: what 7-Zip uses for an encoded header.
fn lzma(data: &[u8]) -> Result<([u8; 5], Zeroizing<Vec<u8>>), ArchiveError> {
    let (options, _) = options(data.len());
    let mut stream = Zeroizing::new(Vec::with_capacity(data.len() + data.len() / 16 + 64));
    let mut writer =
        LzmaWriter::new_no_header(&mut *stream, &options, false).map_err(ArchiveError::Compress)?;
    writer.write_all(data).map_err(ArchiveError::Compress)?;
    writer.finish().map_err(ArchiveError::Compress)?;
    let mut properties = [0u8; 5];
    properties[0] = options.get_props();
    properties[1..].copy_from_slice(&options.dict_size.to_le_bytes());
    Ok((properties, stream))
}

/// A folder of two coders, AES then a decompressor, as 7-Zip lists them.
struct Folder<'a> {
    aes_iv: [u8; 16],
    /// Method id and properties.
    decompressor: (&'a [u8], &'a [u8]),
    /// The AES coder's output (the compressed stream) and the decompressor's (the plain one).
    sizes: [u64; 2],
    /// The plain stream's CRC, where the folder is one stream (the header).
    crc: Option<u32>,
}

impl Folder<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        number(out, 2);
        let mut aes = vec![0x40 | KEY_DERIVATION_POWER, 0x0F];
        aes.extend_from_slice(&self.aes_iv);
        coder(out, METHOD_AES, &aes);
        coder(out, self.decompressor.0, self.decompressor.1);
        // The decompressor's input (in-stream 1) is fed by the AES coder's output (out-stream 0).
        number(out, 1);
        number(out, 0);
    }

    /// The unpack-info block for this one folder, its packed stream at `pack_pos`.
    fn streams_info(&self, out: &mut Vec<u8>, pack_pos: u64, pack_size: u64) {
        out.push(id::PACK_INFO);
        number(out, pack_pos);
        number(out, 1);
        out.push(id::SIZE);
        number(out, pack_size);
        out.push(id::END);

        out.push(id::UNPACK_INFO);
        out.push(id::FOLDER);
        number(out, 1);
        out.push(0); // not external
        self.write(out);
        out.push(id::CODERS_UNPACK_SIZE);
        for size in self.sizes {
            number(out, size);
        }
        if let Some(crc) = self.crc {
            out.push(id::CRC);
            out.push(1); // all defined
            out.extend_from_slice(&crc.to_le_bytes());
        }
        out.push(id::END);
    }
}

fn coder(out: &mut Vec<u8>, method: &[u8], properties: &[u8]) {
    // Low nibble: the id's length; 0x20: properties follow.
    out.push(method.len() as u8 | 0x20);
    out.extend_from_slice(method);
    number(out, properties.len() as u64);
    out.extend_from_slice(properties);
}

/// The archive's real header, with the file names: it is only ever written encrypted.
fn plain_header(files: &[(&str, &[u8])], folder: &Folder<'_>, pack_size: u64) -> Vec<u8> {
    let mut out = vec![id::HEADER, id::MAIN_STREAMS_INFO];
    folder.streams_info(&mut out, 0, pack_size);

    out.push(id::SUBSTREAMS_INFO);
    out.push(id::NUM_UNPACK_STREAM);
    number(&mut out, files.len() as u64);
    if files.len() > 1 {
        // Every size but the last; the last is what the folder has left.
        out.push(id::SIZE);
        for (_, bytes) in &files[..files.len() - 1] {
            number(&mut out, bytes.len() as u64);
        }
    }
    out.push(id::CRC);
    out.push(1); // all defined
    for (_, bytes) in files {
        out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    }
    out.push(id::END); // substreams
    out.push(id::END); // main streams

    out.push(id::FILES_INFO);
    number(&mut out, files.len() as u64);
    let mut names = vec![0u8]; // not external
    for (name, _) in files {
        names.extend(name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes));
    }
    out.push(id::NAME);
    number(&mut out, names.len() as u64);
    out.extend_from_slice(&names);
    out.push(id::END); // files
    out.push(id::END); // header
    out
}

/// What the signature header points to: the encrypted header's folder, its packed stream
/// right after the files' one.
fn encoded_header(folder: &Folder<'_>, pack_pos: u64, pack_size: u64) -> Vec<u8> {
    let mut out = vec![id::ENCODED_HEADER];
    folder.streams_info(&mut out, pack_pos, pack_size);
    out.push(id::END);
    out
}

fn signature_header(next_header_offset: u64, next_header: &[u8]) -> [u8; 32] {
    let mut start = [0u8; 20];
    start[..8].copy_from_slice(&next_header_offset.to_le_bytes());
    start[8..16].copy_from_slice(&(next_header.len() as u64).to_le_bytes());
    start[16..].copy_from_slice(&crc32fast::hash(next_header).to_le_bytes());
    let mut out = [0u8; 32];
    out[..6].copy_from_slice(&SIGNATURE);
    out[6..8].copy_from_slice(&VERSION);
    out[8..12].copy_from_slice(&crc32fast::hash(&start).to_le_bytes());
    out[12..].copy_from_slice(&start);
    out
}

/// 7z's variable-length number: the leading one bits of the first byte count the bytes that
/// follow (little-endian); the rest of the first byte holds the highest bits.
fn number(out: &mut Vec<u8>, value: u64) {
    let mut first = 0u8;
    let mut mask = 0x80u8;
    let mut extra = 0;
    while extra < 8 {
        if value < 1u64 << (7 * (extra + 1)) {
            first |= (value >> (8 * extra)) as u8;
            break;
        }
        first |= mask;
        mask >>= 1;
        extra += 1;
    }
    out.push(first);
    out.extend_from_slice(&value.to_le_bytes()[..extra]);
}

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("Er is niets om in het pakket te stoppen.")]
    Empty,
    #[error("Het besturingssysteem gaf geen willekeurige getallen voor de versleuteling: {0}")]
    Random(String),
    #[error("Het pakket kon niet gecomprimeerd worden: {0}")]
    Compress(std::io::Error),
}

#[cfg(test)]
mod tests;
