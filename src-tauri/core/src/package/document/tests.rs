use super::*;

#[test]
fn wrapping_respects_the_width_and_breaks_overlong_words() {
    let face = Face::load(REGULAR).unwrap();
    let text = "Nguyễn Thị Ánh woont in de Boerenkrijglaan en wil graag hulp bij het budget";
    let lines = face.wrap(text, BODY, 150.0);
    assert!(lines.len() > 1);
    assert!(lines.iter().all(|l| face.width(l, BODY) <= 150.0));
    assert_eq!(lines.join(" "), text);
    let long = "x".repeat(200);
    let lines = face.wrap(&long, BODY, 100.0);
    assert!(lines.len() > 2 && lines.iter().all(|l| face.width(l, BODY) <= 100.0));
    assert_eq!(lines.concat(), long);
}

#[test]
fn too_much_text_for_one_page_is_an_error_not_a_clipped_page() {
    let blocks: Vec<Block> = (0..200)
        .map(|i| Block::Paragraph(format!("regel {i}")))
        .collect();
    assert!(matches!(
        render("t", "nl-BE", &blocks),
        Err(DocumentError::TooLong)
    ));
}
