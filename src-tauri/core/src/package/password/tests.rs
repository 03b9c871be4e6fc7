use std::collections::HashSet;

use super::*;

#[test]
fn length_groups_and_alphabet() {
    for _ in 0..1000 {
        let p = Password::generate().unwrap();
        let text = p.expose();
        assert_eq!(text.len(), LENGTH + LENGTH / GROUP - 1, "{text}");
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == GROUP));
        assert!(
            text.bytes()
                .filter(|b| *b != b'-')
                .all(|b| ALPHABET.contains(&b))
        );
        assert!(!text.contains(['I', 'L', 'O', 'U']));
    }
}

#[test]
fn at_least_eighty_bits() {
    assert!(Password::generated_entropy_bits() >= 80.0);
    // And the draws really use the whole alphabet, roughly uniformly.
    let mut counts = [0usize; 32];
    for _ in 0..2000 {
        for b in Password::generate()
            .unwrap()
            .expose()
            .bytes()
            .filter(|b| *b != b'-')
        {
            let i = ALPHABET.iter().position(|a| *a == b).unwrap();
            counts[i] += 1;
        }
    }
    let expected = 2000 * LENGTH / 32;
    for (i, c) in counts.iter().enumerate() {
        assert!(
            (*c as f64 - expected as f64).abs() < expected as f64 * 0.25,
            "{} drawn {c} times, expected about {expected}",
            ALPHABET[i] as char
        );
    }
}

#[test]
fn no_two_equal_in_ten_thousand_draws() {
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        assert!(seen.insert(Password::generate().unwrap().expose().to_owned()));
    }
}

#[test]
fn debug_hides_it() {
    let p = Password::generate().unwrap();
    assert_eq!(format!("{p:?}"), "Password(…)");
}
