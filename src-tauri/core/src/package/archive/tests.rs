use super::*;

fn encoded(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    number(&mut out, value);
    out
}

#[test]
fn numbers_are_written_as_7_zip_writes_them() {
    assert_eq!(encoded(0), [0x00]);
    assert_eq!(encoded(0x7F), [0x7F]);
    // What 7-Zip wrote for an encoded header of 138 and 142 bytes, and a pack position of 23600.
    assert_eq!(encoded(138), [0x80, 0x8A]);
    assert_eq!(encoded(142), [0x80, 0x8E]);
    assert_eq!(encoded(23_600), [0xC0, 0x30, 0x5C]);
    assert_eq!(encoded(0x3FFF), [0xBF, 0xFF]);
    assert_eq!(encoded(0x4000), [0xC0, 0x00, 0x40]);
    assert_eq!(
        encoded(u64::MAX),
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    );
}

#[test]
fn the_key_is_7_zips_for_the_password_alone() {
    // Computed independently with py7zr's `calculate_key(password UTF-16LE, 19, b"", "sha256")`.
    assert_eq!(
        hex::encode(*derive_key("K7QM-3XPD-9WRT-A2HN")),
        "d8ea527159740260d4298b079ec557e7858e4a97f953e39a289b68f5c40178d1"
    );
    assert_eq!(
        hex::encode(*derive_key("a")),
        "bdde388779cefa7a2ae6aff864378d06522b4d3f57bd38df811e88400d099a83"
    );
}

#[test]
fn the_dictionary_is_the_smallest_that_holds_the_data() {
    assert_eq!(dictionary_for(1), (4096, 0));
    assert_eq!(dictionary_for(4096), (4096, 0));
    assert_eq!(dictionary_for(4097), (6144, 1));
    assert_eq!(dictionary_for(24_000), (24_576, 5));
}

#[test]
fn the_archive_points_to_its_header_and_checks_it() {
    let password = Password::generate().unwrap();
    let archive = seal(
        &[("a.json", b"{\"x\":1}"), ("b.pdf", b"%PDF-1.7")],
        &password,
    )
    .unwrap();
    assert_eq!(&archive[..6], SIGNATURE);
    let start = &archive[12..32];
    assert_eq!(
        crc32fast::hash(start).to_le_bytes(),
        archive[8..12],
        "the start header's CRC"
    );
    let offset = u64::from_le_bytes(start[..8].try_into().unwrap()) as usize;
    let size = u64::from_le_bytes(start[8..16].try_into().unwrap()) as usize;
    let next = &archive[32 + offset..];
    assert_eq!(next.len(), size, "the next header ends the file");
    assert_eq!(crc32fast::hash(next).to_le_bytes(), start[16..20]);
    assert_eq!(next[0], id::ENCODED_HEADER);
    // In the clear: the header's folder, AES first, 2^19 rounds, an IV and no salt.
    let aes = next
        .windows(METHOD_AES.len())
        .position(|w| w == METHOD_AES)
        .unwrap();
    assert_eq!(next[aes - 1], 0x24, "a four-byte id with properties");
    assert_eq!(next[aes + 4], 18, "two bytes and the IV");
    assert_eq!(next[aes + 5..aes + 7], [0x40 | 19, 0x0F]);
}

#[test]
fn every_stream_gets_its_own_iv() {
    let password = Password::generate().unwrap();
    let files: [(&str, &[u8]); 1] = [("a.json", b"{\"x\":1}")];
    let ivs = |archive: &[u8]| {
        let next =
            &archive[32 + u64::from_le_bytes(archive[12..20].try_into().unwrap()) as usize..];
        let aes = next
            .windows(METHOD_AES.len())
            .position(|w| w == METHOD_AES)
            .unwrap();
        next[aes + 7..aes + 23].to_vec()
    };
    let (one, two) = (
        seal(&files, &password).unwrap(),
        seal(&files, &password).unwrap(),
    );
    assert_ne!(ivs(&one), ivs(&two));
    assert_ne!(one[32..48], two[32..48], "the files' stream differs too");
}

#[test]
fn nothing_or_an_empty_file_is_refused() {
    let password = Password::generate().unwrap();
    assert!(matches!(seal(&[], &password), Err(ArchiveError::Empty)));
    assert!(matches!(
        seal(&[("a.json", b"")], &password),
        Err(ArchiveError::Empty)
    ));
}
