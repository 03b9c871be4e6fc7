use super::*;

const CHEAP: (u32, u32) = (256, 1);

fn pin(pin: &str, confirmation: &str) -> PinInput {
    PinInput {
        pin: Zeroizing::new(pin.into()),
        confirmation: Zeroizing::new(confirmation.into()),
    }
}

#[test]
fn a_new_store_asks_for_a_pin_and_locks_after_five_minutes() {
    let (_dir, store) = Store::temporary();
    let settings = load(&store).unwrap();
    assert_eq!(settings.idle_minutes, DEFAULT_IDLE_MINUTES);
    assert!(!settings.pin_set);
    assert_eq!(settings.save_folder, None);
    assert!(pin_hash(&store).unwrap().is_none());
}

#[test]
fn a_pin_is_six_to_twelve_digits_typed_twice_and_not_a_run() {
    let (_dir, store) = Store::temporary();
    for (typed, again, code) in [
        ("12345", "12345", "privacy.pin_form"),
        ("12a456", "12a456", "privacy.pin_form"),
        ("1234567890123", "1234567890123", "privacy.pin_form"),
        ("480215", "480216", "privacy.pin_mismatch"),
        ("123456", "123456", "privacy.pin_too_simple"),
        ("777777", "777777", "privacy.pin_too_simple"),
        ("654321", "654321", "privacy.pin_too_simple"),
    ] {
        let err = set_pin_with_cost(&store, &pin(typed, again), CHEAP).unwrap_err();
        assert_eq!(err.code(), code, "{typed}");
        assert!(!load(&store).unwrap().pin_set);
    }
    assert!(
        set_pin_with_cost(&store, &pin("480215", "480215"), CHEAP)
            .unwrap()
            .pin_set
    );
    let hash = pin_hash(&store).unwrap().unwrap();
    assert_eq!((hash.m_cost_kib, hash.t_cost), CHEAP);
    // Only the hash is stored, never the digits.
    let stored: Vec<u8> = store
        .conn()
        .query_row("SELECT pin_hash FROM privacy_settings", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, b"480215".to_vec());
}

#[test]
fn idle_minutes_go_from_one_to_thirty() {
    let (_dir, store) = Store::temporary();
    for bad in [0, 31] {
        let err = save_idle_minutes(&store, bad).unwrap_err();
        assert_eq!(err.field(), Some("idle_minutes"));
    }
    assert_eq!(save_idle_minutes(&store, 1).unwrap().idle_minutes, 1);
    assert_eq!(save_idle_minutes(&store, 30).unwrap().idle_minutes, 30);
}

#[test]
fn the_save_folder_must_exist() {
    let (dir, store) = Store::temporary();
    let err = set_save_folder(&store, "/bestaat/niet").unwrap_err();
    assert_eq!(err.field(), Some("folder"));
    let folder = dir.path().display().to_string();
    assert_eq!(
        set_save_folder(&store, &folder).unwrap().save_folder,
        Some(folder)
    );
}
