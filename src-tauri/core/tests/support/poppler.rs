//! Reading a PDF as a person and a program would: poppler's text, its fonts, and page 1 drawn.
//! Shared by the unit tests of the exports (included by path) and the integration tests.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs a real tool (7zz, pdftotext) in `dir`.
pub fn tool(name: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(name)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{name} is missing ({e}): run scripts/setup.sh --test"))
}

/// The PDF's text as poppler extracts it, after checking that every font is embedded Noto Sans
/// and rendering page 1 to `target/pdf-renders/{render_as}.png` (the PDF is kept beside it, to
/// look at the other pages too).
pub fn pdf_text(pdf: &[u8], render_as: &str) -> String {
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.pdf"), pdf).unwrap();
    let text = tool("pdftotext", &["-layout", "doc.pdf", "-"], dir.path());
    assert!(text.status.success(), "pdftotext failed");
    let fonts = tool("pdffonts", &["doc.pdf"], dir.path());
    let fonts = String::from_utf8_lossy(&fonts.stdout).to_string();
    assert!(fonts.contains("NotoSans"), "{fonts}");
    assert!(
        fonts
            .lines()
            .skip(2)
            .all(|l| l.split_whitespace().nth(4) == Some("yes")),
        "every font must be embedded: {fonts}"
    );
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pdf-renders");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(format!("{render_as}.pdf")), pdf).unwrap();
    let render = tool(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-singlefile",
            "doc.pdf",
            &out.join(render_as).to_string_lossy(),
        ],
        dir.path(),
    );
    assert!(render.status.success(), "pdftoppm failed");
    let png = std::fs::read(out.join(format!("{render_as}.png"))).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "render is empty"
    );
    String::from_utf8(text.stdout).unwrap()
}
