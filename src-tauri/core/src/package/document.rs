//! One-page PDFs: the referral sheet for the OCMW and the receipt for the client.
//!
//! Laid out by hand with `krilla`, in memory, with Noto Sans embedded (subset), so names like
//! Nguyễn Thị Ánh or Đorđević print and extract correctly on any machine. Text is measured with
//! `rustybuzz`, the shaper krilla itself uses, so wrapping matches what is drawn.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use zeroize::Zeroizing;

pub(crate) static REGULAR: &[u8] = include_bytes!("../../fonts/NotoSans-Regular.ttf");
pub(crate) static BOLD: &[u8] = include_bytes!("../../fonts/NotoSans-Bold.ttf");

const PAGE_WIDTH: f32 = 595.28; // A4 in points
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.7; // 2 cm
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const LABEL_WIDTH: f32 = 120.0;
const BODY: f32 = 10.5;
const TEAL: (u8, u8, u8) = (20, 95, 87);

/// A piece of a page, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(String),
    Subtitle(String),
    /// A tinted box with a short warning or instruction.
    Notice(String),
    Heading(String),
    Paragraph(String),
    /// A label and its value on one line (the value wraps under itself).
    Field(String, String),
    /// A numbered step.
    Step(usize, String),
    /// Small print at the bottom of the flow.
    Small(String),
}

/// A font as krilla embeds it and as rustybuzz measures it; the report export uses it too.
pub(crate) struct Face {
    pub(crate) pdf: Font,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    pub(crate) fn load(bytes: &'static [u8]) -> Result<Self, DocumentError> {
        Ok(Self {
            pdf: Font::new(bytes.into(), 0).ok_or(DocumentError::Font)?,
            shaper: rustybuzz::Face::from_slice(bytes, 0).ok_or(DocumentError::Font)?,
        })
    }

    /// Width of `text` at `size`, with the same shaping and kerning `draw_text` uses.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        let shaped = rustybuzz::shape(&self.shaper, &[], buffer);
        let advance: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        advance as f32 * size / self.shaper.units_per_em() as f32
    }

    /// Whether the font has a glyph for `c`.
    pub(crate) fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }

    /// Greedy word wrap; a single word wider than the line is broken by characters.
    pub(crate) fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if self.width(&line, size) > width {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    regular: &'a Face,
    bold: &'a Face,
    /// Baseline of the next line.
    y: f32,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, bold: bool, size: f32, text: &str) {
        let face = if bold { self.bold } else { self.regular };
        self.surface.draw_text(
            Point::from_xy(x, self.y),
            face.pdf.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn lines(&mut self, x: f32, width: f32, bold: bool, size: f32, text: &str) {
        let face = if bold { self.bold } else { self.regular };
        for paragraph in text.split('\n') {
            for line in face.wrap(paragraph, size, width) {
                self.text(x, bold, size, &line);
                self.y += size * 1.4;
            }
        }
    }

    fn fill_rect(&mut self, y: f32, height: f32, color: (u8, u8, u8)) -> Result<(), DocumentError> {
        let mut path = PathBuilder::new();
        path.push_rect(
            Rect::from_xywh(MARGIN, y, TEXT_WIDTH, height).ok_or(DocumentError::Layout)?,
        );
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(color.0, color.1, color.2).into(),
            ..Default::default()
        }));
        self.surface
            .draw_path(&path.finish().ok_or(DocumentError::Layout)?);
        self.surface.set_fill(Some(Fill::default()));
        Ok(())
    }

    fn rule(&mut self) -> Result<(), DocumentError> {
        let mut path = PathBuilder::new();
        path.move_to(MARGIN, self.y);
        path.line_to(PAGE_WIDTH - MARGIN, self.y);
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(TEAL.0, TEAL.1, TEAL.2).into(),
            width: 0.8,
            ..Default::default()
        }));
        self.surface
            .draw_path(&path.finish().ok_or(DocumentError::Layout)?);
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(Fill::default()));
        Ok(())
    }

    fn block(&mut self, block: &Block) -> Result<(), DocumentError> {
        match block {
            Block::Title(text) => {
                self.y += 8.0;
                self.lines(MARGIN, TEXT_WIDTH, true, 18.0, text);
            }
            Block::Subtitle(text) => {
                self.lines(MARGIN, TEXT_WIDTH, false, 11.0, text);
                self.y += 2.0;
                self.rule()?;
                self.y += 16.0;
            }
            Block::Notice(text) => {
                let lines = self.regular.wrap(text, 9.5, TEXT_WIDTH - 16.0).len() as f32;
                let height = lines * 9.5 * 1.4 + 10.0;
                self.fill_rect(self.y - 12.0, height, (228, 242, 239))?;
                self.lines(MARGIN + 8.0, TEXT_WIDTH - 16.0, false, 9.5, text);
                self.y += 10.0;
            }
            Block::Heading(text) => {
                self.y += 8.0;
                self.lines(MARGIN, TEXT_WIDTH, true, 12.5, text);
                self.y += 1.0;
            }
            Block::Paragraph(text) => {
                self.lines(MARGIN, TEXT_WIDTH, false, BODY, text);
                self.y += 3.0;
            }
            Block::Field(label, value) => {
                let top = self.y;
                self.text(MARGIN, true, BODY, label);
                self.lines(
                    MARGIN + LABEL_WIDTH,
                    TEXT_WIDTH - LABEL_WIDTH,
                    false,
                    BODY,
                    value,
                );
                self.y = self.y.max(top + BODY * 1.4);
            }
            Block::Step(n, text) => {
                self.text(MARGIN, true, BODY, &format!("{n}."));
                self.lines(MARGIN + 16.0, TEXT_WIDTH - 16.0, false, BODY, text);
            }
            Block::Small(text) => {
                self.y += 6.0;
                self.lines(MARGIN, TEXT_WIDTH, false, 8.0, text);
            }
        }
        if self.y > PAGE_HEIGHT - MARGIN {
            return Err(DocumentError::TooLong);
        }
        Ok(())
    }
}

/// Lays out `blocks` on one A4 page. `title` and `language` (BCP 47) go into the metadata. The
/// page holds a client's data: its bytes are wiped from memory when dropped.
pub fn render(
    title: &str,
    language: &str,
    blocks: &[Block],
) -> Result<Zeroizing<Vec<u8>>, DocumentError> {
    let regular = Face::load(REGULAR)?;
    let bold = Face::load(BOLD)?;
    let mut document = Document::new_with(SerializeSettings {
        // No XMP block: the title and language in the document info are enough.
        xmp_metadata: false,
        ..Default::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language(language.to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(DocumentError::Layout)?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut pen = Pen {
        surface: &mut surface,
        regular: &regular,
        bold: &bold,
        y: MARGIN,
    };
    let result = blocks.iter().try_for_each(|block| pen.block(block));
    surface.finish();
    page.finish();
    result?;
    document
        .finish()
        .map(Zeroizing::new)
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

/// Why a PDF could not be made. These are defects of the app, not of the worker's input.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("Het ingebouwde lettertype kon niet geladen worden.")]
    Font,
    #[error("De pagina kon niet opgemaakt worden.")]
    Layout,
    #[error("De tekst past niet op één pagina.")]
    TooLong,
    #[error("De PDF kon niet gemaakt worden: {0}")]
    Pdf(String),
}

#[cfg(test)]
mod tests;
