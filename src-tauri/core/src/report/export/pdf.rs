//! The printable summary: A4 landscape, the title and period, a bar chart of the months, the
//! table per partner (continued on further pages when the team works with many OCMWs) and the
//! legend.
//!
//! A tagged PDF, checked by krilla's PDF/UA-1 validator when it is made: headings, paragraphs, a
//! real table (header cells with their scope, the total in the table's footer), the chart as a
//! figure whose alternative text says the same in words, and everything that is only layout (the
//! shading, the rules, a repeated header, the page footer) marked as such. A screen reader reads
//! it in order; a reflowing viewer shows the table as a table.
//!
//! Laid out by hand with krilla, with the fonts and measuring of [`crate::package::document`].
//! The layout is planned before anything is drawn, so every page can say "pagina 2 van 3". The
//! chart is the core's ([`super::super::chart`]): the same series, colours and ticks as the
//! screen.

use std::num::NonZeroU16;

use krilla::color::rgb;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, BBox, ContentTag, Identifier, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagTree,
};
use krilla::text::TextDirection;
use krilla::{Document, SerializeSettings};

use super::{
    ExportError, ExportOptions, FIGURE_HEADERS, Figure, LEGEND, PARTNER, Report, SUPPRESSED_NOTE,
    date, summary_rows,
};
use crate::package::document::{BOLD, Face, REGULAR};
use crate::report::chart::{self, Chart};
use crate::report::legend;

const PAGE_WIDTH: f32 = 841.89; // A4 landscape, in points
const PAGE_HEIGHT: f32 = 595.28;
const MARGIN: f32 = 32.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Baselines below this would run into the footer.
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 14.0;

const NAME_WIDTH: f32 = 152.0;
const COLUMNS: usize = FIGURE_HEADERS.len();
const FIGURE_WIDTH: f32 = (TEXT_WIDTH - NAME_WIDTH) / COLUMNS as f32;
const CELL_PAD: f32 = 4.0;
const ROW_SIZE: f32 = 9.0;
const ROW_LINE: f32 = 12.0;
const HEADER_SIZE: f32 = 6.4;
const HEADER_LINE: f32 = 8.5;
/// Long titles and partner names are cut after this many lines, so a row always fits a page.
const MAX_LINES: usize = 3;
const LEGEND_SIZE: f32 = 8.0;
const LEGEND_LINE: f32 = 10.0;

const CHART_HEIGHT: f32 = 150.0;
/// The chart with its heading, legend and month labels.
const CHART_BLOCK: f32 = 22.0 + 18.0 + CHART_HEIGHT + 34.0;

type Colour = (u8, u8, u8);
const BLACK: Colour = (0, 0, 0);
const GREY: Colour = (85, 85, 85);
const GRID: Colour = (218, 218, 218);
const TEAL: Colour = (20, 95, 87);
const TINT: Colour = (228, 242, 239);
const ZEBRA: Colour = (244, 248, 247);

const H1: NonZeroU16 = NonZeroU16::MIN;
const H2: NonZeroU16 = NonZeroU16::MIN.saturating_add(1);
const LANGUAGE: &str = "nl-BE";
const TABLE_HEADING: &str = "Per partner";

/// The column headers as printed.
pub(super) fn print_headers() -> [&'static str; COLUMNS] {
    FIGURE_HEADERS
}

/// One line of the table, measured.
struct Row {
    lines: Vec<String>,
    figures: [Figure; COLUMNS],
    total: bool,
}

impl Row {
    fn height(&self) -> f32 {
        self.lines.len() as f32 * ROW_LINE + 2.0 * CELL_PAD - 3.0
    }
}

/// One entry of the legend, wrapped.
struct LegendLines {
    label: String,
    lines: Vec<String>,
}

impl LegendLines {
    fn height(&self) -> f32 {
        (1 + self.lines.len()) as f32 * LEGEND_LINE + 4.0
    }
}

/// The tagged printable summary: the team's title, the period, a bar chart per month of all
/// partners together (not in an export for outside the team), a table with a row per partner
/// and the total, and the legend.
pub fn pdf(report: &Report, options: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    let regular = Face::load(REGULAR).map_err(|_| ExportError::Font)?;
    let bold = Face::load(BOLD).map_err(|_| ExportError::Font)?;

    let title = cut(&bold, options.heading(), 18.0, TEXT_WIDTH);
    let note = options
        .suppress_small
        .then(|| regular.wrap(SUPPRESSED_NOTE, 9.0, TEXT_WIDTH));
    let headers: Vec<Vec<String>> = print_headers()
        .iter()
        .map(|h| bold.wrap(h, HEADER_SIZE, FIGURE_WIDTH - CELL_PAD))
        .collect();
    let header_height =
        headers.iter().map(Vec::len).max().unwrap_or(1) as f32 * HEADER_LINE + 2.0 * CELL_PAD;
    let rows: Vec<Row> = summary_rows(report, options)
        .into_iter()
        .enumerate()
        .map(|(i, (name, figures))| Row {
            lines: cut(&regular, name, ROW_SIZE, NAME_WIDTH - 2.0 * CELL_PAD),
            figures,
            total: i == report.partners.len(),
        })
        .collect();
    let legend: Vec<LegendLines> = legend()
        .into_iter()
        .map(|entry| LegendLines {
            lines: regular.wrap(&entry.explanation, LEGEND_SIZE, TEXT_WIDTH - 12.0),
            label: entry.label,
        })
        .collect();
    let chart = (!options.suppress_small).then(|| Chart::of(&report.months));

    // Plan: which rows go on which page, and where the legend starts.
    let heading_end = MARGIN + heading_height(title.len(), note.as_ref().map_or(0, Vec::len));
    let first_table = heading_end + if chart.is_some() { CHART_BLOCK } else { 0.0 };
    let mut pages: Vec<Vec<usize>> = vec![Vec::new()];
    let mut y = first_table + 22.0 + header_height;
    for (i, row) in rows.iter().enumerate() {
        if y + row.height() > BOTTOM && pages.last().is_some_and(|p| !p.is_empty()) {
            pages.push(Vec::new());
            y = MARGIN + 22.0 + header_height;
        }
        if let Some(page) = pages.last_mut() {
            page.push(i);
        }
        y += row.height();
    }
    let legend_height: f32 = 28.0 + legend.iter().map(LegendLines::height).sum::<f32>();
    let legend_alone = y + legend_height > BOTTOM;
    if legend_alone {
        pages.push(Vec::new());
    }
    let legend_page = pages.len() - 1;
    let legend_top = if legend_alone { MARGIN } else { y };

    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| ExportError::Pdf(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..Default::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(options.heading().to_owned())
            .language(LANGUAGE.to_owned()),
    );
    document.set_outline(outline(
        options.heading(),
        chart.as_ref().map(|c| (c.title.as_str(), heading_end)),
        first_table,
        (legend_page, legend_top),
    ));
    let settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| layout("paginagrootte"))?;
    let count = pages.len();
    let mut tree = Tree::default();
    for (number, page_rows) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            regular: &regular,
            bold: &bold,
        };
        let result = (|| {
            let mut y = MARGIN;
            if number == 0 {
                y = pen.heading(report, options, &title, note.as_deref(), &mut tree)?;
                if let Some(chart) = &chart {
                    y = pen.chart(chart, y, &mut tree)?;
                }
            }
            if !page_rows.is_empty() {
                y = pen.table_header(&headers, header_height, y, number > 0, &mut tree)?;
                for (shown, &i) in page_rows.iter().enumerate() {
                    y = pen.row(&rows[i], shown % 2 == 1, y, &mut tree)?;
                }
            }
            if number == legend_page {
                pen.legend(
                    &legend,
                    if page_rows.is_empty() { MARGIN } else { y },
                    &mut tree,
                )?;
            }
            pen.footer(options.heading(), number + 1, count)
        })();
        surface.finish();
        page.finish();
        result?;
    }
    document.set_tag_tree(tree.finish());
    document.finish().map_err(pdf_error)
}

/// The tag tree in reading order, and the table's three parts, filled page by page.
struct Tree {
    front: Vec<TagGroup>,
    head: TagGroup,
    body: TagGroup,
    foot: TagGroup,
    back: Vec<TagGroup>,
}

impl Default for Tree {
    fn default() -> Self {
        Self {
            front: Vec::new(),
            head: TagGroup::new(Tag::THead),
            body: TagGroup::new(Tag::TBody),
            foot: TagGroup::new(Tag::TFoot),
            back: Vec::new(),
        }
    }
}

impl Tree {
    fn finish(self) -> TagTree {
        let mut tree = TagTree::new().with_lang(Some(LANGUAGE.to_owned()));
        for group in self.front {
            tree.push(group);
        }
        let mut table = TagGroup::new(Tag::Table.with_summary(Some(
            "Per partner de aantallen van de periode, met het totaal op de laatste rij.".into(),
        )));
        for part in [self.head, self.body, self.foot] {
            if !part.children.is_empty() {
                table.push(part);
            }
        }
        tree.push(table);
        for group in self.back {
            tree.push(group);
        }
        tree
    }
}

/// A validation error lists what the PDF lacks; krilla's own text only counts them.
fn pdf_error(error: KrillaError) -> ExportError {
    match error {
        KrillaError::Validation(errors) => ExportError::Pdf(format!(
            "PDF/UA-1: {}",
            errors
                .iter()
                .map(|(e, _)| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
        other => ExportError::Pdf(other.to_string()),
    }
}

/// The bookmarks: the title, the chart, the table and the legend. PDF/UA asks for them.
fn outline(
    title: &str,
    chart: Option<(&str, f32)>,
    table_top: f32,
    legend: (usize, f32),
) -> Outline {
    let at = |page: usize, y: f32| XyzDestination::new(page, Point::from_xy(MARGIN, y));
    let mut top = OutlineNode::new(title.to_owned(), at(0, MARGIN)).with_open(true);
    if let Some((heading, y)) = chart {
        top.push_child(OutlineNode::new(heading.to_owned(), at(0, y)));
    }
    top.push_child(OutlineNode::new(TABLE_HEADING.to_owned(), at(0, table_top)));
    top.push_child(OutlineNode::new(LEGEND.to_owned(), at(legend.0, legend.1)));
    let mut outline = Outline::new();
    outline.push_child(top);
    outline
}

/// Height of the title lines, the period, the note on suppression and the rule under them; the
/// planning and the drawing both use it, so rows never spill under the footer.
fn heading_height(title_lines: usize, note_lines: usize) -> f32 {
    title_lines as f32 * 22.0 + 16.0 + note_lines as f32 * 12.0 + 14.0
}

fn layout(what: &str) -> ExportError {
    ExportError::Pdf(format!("opmaak: {what}"))
}

/// `text` wrapped to `width`, at most [`MAX_LINES`] lines, the last one ending in "…" if cut.
fn cut(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = face.wrap(text, size, width);
    if lines.len() > MAX_LINES {
        lines.truncate(MAX_LINES);
        if let Some(last) = lines.last_mut() {
            while !last.is_empty() && face.width(&format!("{last}…"), size) > width {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// `#rrggbb` as a colour; black for anything else.
fn colour(hex: &str) -> Colour {
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0)
    };
    (channel(1), channel(3), channel(5))
}

struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    regular: &'a Face,
    bold: &'a Face,
}

impl Pen<'_, '_> {
    /// Draws text. Characters the embedded font lacks become "?": PDF/UA refuses a glyph
    /// without a character, and a blank box would say less.
    fn text(&mut self, x: f32, y: f32, bold: bool, size: f32, colour: Colour, text: &str) {
        let face = if bold { self.bold } else { self.regular };
        let printable: String = text
            .chars()
            .map(|c| {
                if c.is_whitespace() || face.covers(c) {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        self.surface.set_fill(Some(paint(colour)));
        self.surface.draw_text(
            Point::from_xy(x, y),
            face.pdf.clone(),
            size,
            &printable,
            false,
            TextDirection::Auto,
        );
        self.surface.set_fill(Some(Fill::default()));
    }

    /// Text ending at `right`.
    fn text_right(
        &mut self,
        right: f32,
        y: f32,
        bold: bool,
        size: f32,
        colour: Colour,
        text: &str,
    ) {
        let face = if bold { self.bold } else { self.regular };
        let x = right - face.width(text, size);
        self.text(x, y, bold, size, colour, text);
    }

    /// Text centred on `centre`.
    fn text_centre(&mut self, centre: f32, y: f32, size: f32, colour: Colour, text: &str) {
        let x = centre - self.regular.width(text, size) / 2.0;
        self.text(x, y, false, size, colour, text);
    }

    /// `draw` inside one marked-content section, closed even if drawing fails (a second one
    /// may not start while one is open).
    fn tagged(
        &mut self,
        tag: ContentTag<'_>,
        draw: impl FnOnce(&mut Self) -> Result<(), ExportError>,
    ) -> Result<Identifier, ExportError> {
        let id = self.surface.start_tagged(tag);
        let drawn = draw(self);
        self.surface.end_tagged();
        drawn.map(|()| id)
    }

    /// Drawing that is only layout: no reader needs it.
    fn artifact(
        &mut self,
        kind: Artifact,
        draw: impl FnOnce(&mut Self) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        self.tagged(ContentTag::Artifact(kind), draw).map(drop)
    }

    /// One line of real text; its identifier goes into the tree exactly once.
    fn span(
        &mut self,
        x: f32,
        y: f32,
        bold: bool,
        size: f32,
        colour: Colour,
        text: &str,
    ) -> Identifier {
        let id = self
            .surface
            .start_tagged(ContentTag::Span(SpanTag::empty()));
        self.text(x, y, bold, size, colour, text);
        self.surface.end_tagged();
        id
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) -> Result<(), ExportError> {
        let mut path = PathBuilder::new();
        path.push_rect(Rect::from_xywh(x, y, w, h).ok_or_else(|| layout("vlak"))?);
        self.surface.set_fill(Some(paint(colour)));
        self.surface
            .draw_path(&path.finish().ok_or_else(|| layout("vlak"))?);
        self.surface.set_fill(Some(Fill::default()));
        Ok(())
    }

    /// A filled bar with a dark outline, so a light colour still stands out on white.
    fn bar(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Colour) -> Result<(), ExportError> {
        self.rect(x, y, w, h, fill)?;
        let mut path = PathBuilder::new();
        path.push_rect(Rect::from_xywh(x, y, w, h).ok_or_else(|| layout("staaf"))?);
        self.stroke(path, 0.6, colour(chart::OUTLINE))
    }

    fn line(
        &mut self,
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
        colour: Colour,
    ) -> Result<(), ExportError> {
        let mut path = PathBuilder::new();
        path.move_to(from.0, from.1);
        path.line_to(to.0, to.1);
        self.stroke(path, width, colour)
    }

    fn stroke(&mut self, path: PathBuilder, width: f32, colour: Colour) -> Result<(), ExportError> {
        self.surface.set_fill(None);
        self.surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
            width,
            ..Default::default()
        }));
        self.surface
            .draw_path(&path.finish().ok_or_else(|| layout("lijn"))?);
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(Fill::default()));
        Ok(())
    }

    /// Shading behind a row or header: a background artifact, with its box.
    fn shade(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) -> Result<(), ExportError> {
        let area = Rect::from_xywh(x, y, w, h).ok_or_else(|| layout("vlak"))?;
        self.artifact(Artifact::new(ArtifactType::Background, Some(area)), |pen| {
            pen.rect(x, y, w, h, colour)
        })
    }

    fn rule(&mut self, y: f32) -> Result<(), ExportError> {
        self.artifact(Artifact::with_kind(ArtifactType::Layout), |pen| {
            pen.line((MARGIN, y), (PAGE_WIDTH - MARGIN, y), 0.8, TEAL)
        })
    }

    /// Title, period and the note on suppression; returns the top of what follows.
    fn heading(
        &mut self,
        report: &Report,
        options: &ExportOptions,
        title: &[String],
        note: Option<&[String]>,
        tree: &mut Tree,
    ) -> Result<f32, ExportError> {
        let mut y = MARGIN;
        let mut h1 = TagGroup::new(Tag::Hn(H1, Some(options.heading().to_owned())));
        for line in title {
            y += 22.0;
            h1.push(self.span(MARGIN, y, true, 18.0, BLACK, line));
        }
        tree.front.push(h1);
        y += 16.0;
        let period = format!(
            "Evaluatie van de samenwerking, periode {} – {}",
            date(report.period.from),
            date(report.period.to)
        );
        let id = self.span(MARGIN, y, false, 10.5, GREY, &period);
        tree.front
            .push(TagGroup::with_children(Tag::P, vec![id.into()]));
        if let Some(lines) = note {
            let mut p = TagGroup::new(Tag::P);
            for line in lines {
                y += 12.0;
                p.push(self.span(MARGIN, y, false, 9.0, GREY, line));
            }
            tree.front.push(p);
        }
        y += 7.0;
        self.rule(y)?;
        Ok(MARGIN + heading_height(title.len(), note.map_or(0, <[String]>::len)))
    }

    /// The chart: its heading, then one figure (legend, axis, bars) read as its text
    /// alternative. Returns the top of what follows.
    fn chart(&mut self, chart: &Chart, top: f32, tree: &mut Tree) -> Result<f32, ExportError> {
        let y = top + 22.0;
        let id = self.span(MARGIN, y, true, 12.0, BLACK, &chart.title);
        tree.front.push(TagGroup::with_children(
            Tag::Hn(H2, Some(chart.title.clone())),
            vec![id.into()],
        ));
        let drawing = self.tagged(ContentTag::Other, |pen| pen.plot(chart, y))?;
        let area = Rect::from_xywh(MARGIN, y + 4.0, TEXT_WIDTH, CHART_BLOCK - 26.0)
            .ok_or_else(|| layout("grafiek"))?;
        let figure = Tag::Figure(Some(chart.summary.clone())).with_bbox(Some(BBox::new(0, area)));
        tree.front
            .push(TagGroup::with_children(figure, vec![drawing.into()]));
        Ok(top + CHART_BLOCK)
    }

    /// Legend (right-aligned on the heading's line at `y`), ticks and bars.
    fn plot(&mut self, chart: &Chart, y: f32) -> Result<(), ExportError> {
        let mut x = PAGE_WIDTH - MARGIN;
        for s in chart.series.iter().rev() {
            x -= self.regular.width(&s.label, 8.5);
            self.text(x, y, false, 8.5, BLACK, &s.label);
            x -= 12.0;
            self.bar(x, y - 7.5, 8.0, 8.0, colour(&s.colour))?;
            x -= 14.0;
        }

        let y = y + 18.0;
        let plot_left = MARGIN + 30.0;
        let plot_width = PAGE_WIDTH - MARGIN - plot_left;
        let base = y + CHART_HEIGHT;
        let axis_max = chart.ticks.last().copied().unwrap_or(1).max(1);
        let height_of = |n: u32| n as f32 / axis_max as f32 * CHART_HEIGHT;
        for &tick in &chart.ticks {
            let ty = base - height_of(tick);
            let colour = if tick == 0 { GREY } else { GRID };
            self.line((plot_left, ty), (PAGE_WIDTH - MARGIN, ty), 0.6, colour)?;
            self.text_right(
                plot_left - 5.0,
                ty + 2.5,
                false,
                7.5,
                BLACK,
                &tick.to_string(),
            );
        }
        let quiet = chart
            .months
            .iter()
            .all(|m| m.values.iter().all(|&v| v == 0));
        if quiet {
            let centre = plot_left + plot_width / 2.0;
            self.text_centre(
                centre,
                base - CHART_HEIGHT / 2.0,
                10.0,
                GREY,
                &chart.summary,
            );
        }
        if chart.months.is_empty() {
            return Ok(());
        }
        let group = plot_width / chart.months.len() as f32;
        let bar = group * 0.74 / chart.series.len().max(1) as f32;
        let labelled = bar >= 11.0;
        let label_width = self.regular.width("mmm", 8.0) + 6.0;
        let every = (label_width / group).ceil().max(1.0) as usize;
        for (i, m) in chart.months.iter().enumerate() {
            let left = plot_left + i as f32 * group + group * 0.13;
            for (j, (s, &n)) in chart.series.iter().zip(&m.values).enumerate() {
                if n == 0 {
                    continue;
                }
                let x = left + j as f32 * bar;
                let h = height_of(n);
                self.bar(x + 0.5, base - h, bar - 1.0, h, colour(&s.colour))?;
                if labelled {
                    self.text_centre(x + bar / 2.0, base - h - 2.5, 6.5, BLACK, &n.to_string());
                }
            }
            if i % every == 0 {
                let centre = plot_left + (i as f32 + 0.5) * group;
                self.text_centre(centre, base + 11.0, 8.0, BLACK, &m.label);
                if i == 0 || m.month.ends_with("-01") {
                    self.text_centre(centre, base + 21.0, 7.0, GREY, &m.year.to_string());
                }
            }
        }
        Ok(())
    }

    /// The table's heading and column headers; returns the top of the first row. A continued
    /// page repeats them for the eye only: the table has one header row.
    fn table_header(
        &mut self,
        headers: &[Vec<String>],
        height: f32,
        top: f32,
        again: bool,
        tree: &mut Tree,
    ) -> Result<f32, ExportError> {
        let heading_y = top + 16.0;
        let y = heading_y + 6.0;
        self.shade(MARGIN, y, TEXT_WIDTH, height, TINT)?;
        let first = y + CELL_PAD + HEADER_SIZE;
        let right = |col: usize| MARGIN + NAME_WIDTH + (col + 1) as f32 * FIGURE_WIDTH - CELL_PAD;
        if again {
            self.artifact(Artifact::with_kind(ArtifactType::PaginationOther), |pen| {
                pen.text(
                    MARGIN,
                    heading_y,
                    true,
                    12.0,
                    BLACK,
                    "Per partner (vervolg)",
                );
                pen.text(MARGIN + CELL_PAD, first, true, HEADER_SIZE, BLACK, PARTNER);
                for (col, lines) in headers.iter().enumerate() {
                    for (k, line) in lines.iter().enumerate() {
                        let ly = first + k as f32 * HEADER_LINE;
                        pen.text_right(right(col), ly, true, HEADER_SIZE, BLACK, line);
                    }
                }
                Ok(())
            })?;
            return Ok(y + height);
        }
        let id = self.span(MARGIN, heading_y, true, 12.0, BLACK, TABLE_HEADING);
        tree.front.push(TagGroup::with_children(
            Tag::Hn(H2, Some(TABLE_HEADING.to_owned())),
            vec![id.into()],
        ));
        let mut tr = TagGroup::new(Tag::TR);
        let id = self.span(MARGIN + CELL_PAD, first, true, HEADER_SIZE, BLACK, PARTNER);
        tr.push(TagGroup::with_children(
            Tag::TH(TableHeaderScope::Column),
            vec![id.into()],
        ));
        for (col, lines) in headers.iter().enumerate() {
            let mut th = TagGroup::new(Tag::TH(TableHeaderScope::Column));
            for (k, line) in lines.iter().enumerate() {
                let face = self.bold;
                let x = right(col) - face.width(line, HEADER_SIZE);
                let ly = first + k as f32 * HEADER_LINE;
                th.push(self.span(x, ly, true, HEADER_SIZE, BLACK, line));
            }
            tr.push(th);
        }
        tree.head.push(tr);
        Ok(y + height)
    }

    /// One row of the table; returns the top of the next.
    fn row(
        &mut self,
        row: &Row,
        shaded: bool,
        top: f32,
        tree: &mut Tree,
    ) -> Result<f32, ExportError> {
        let height = row.height();
        if row.total {
            self.rule(top)?;
        } else if shaded {
            self.shade(MARGIN, top, TEXT_WIDTH, height, ZEBRA)?;
        }
        let first = top + CELL_PAD + ROW_SIZE - 1.0;
        let mut tr = TagGroup::new(Tag::TR);
        let mut name = TagGroup::new(Tag::TH(TableHeaderScope::Row));
        for (k, line) in row.lines.iter().enumerate() {
            let ly = first + k as f32 * ROW_LINE;
            name.push(self.span(MARGIN + CELL_PAD, ly, row.total, ROW_SIZE, BLACK, line));
        }
        tr.push(name);
        for (col, figure) in row.figures.iter().enumerate() {
            let mut td = TagGroup::new(Tag::TD);
            let text = figure.text();
            if !text.is_empty() {
                let right = MARGIN + NAME_WIDTH + (col + 1) as f32 * FIGURE_WIDTH - CELL_PAD;
                let face = if row.total { self.bold } else { self.regular };
                let x = right - face.width(&text, ROW_SIZE);
                let (colour, span) = if *figure == Figure::Small {
                    (GREY, SpanTag::empty().with_alt_text(Some("minder dan 5")))
                } else {
                    (BLACK, SpanTag::empty())
                };
                let id = self.surface.start_tagged(ContentTag::Span(span));
                self.text(x, first, row.total, ROW_SIZE, colour, &text);
                self.surface.end_tagged();
                td.push(id);
            }
            tr.push(td);
        }
        if row.total {
            tree.foot.push(tr);
        } else {
            tree.body.push(tr);
        }
        Ok(top + height)
    }

    /// What each column counts, under the table or on a page of its own.
    fn legend(
        &mut self,
        entries: &[LegendLines],
        top: f32,
        tree: &mut Tree,
    ) -> Result<(), ExportError> {
        let mut y = top + 24.0;
        let id = self.span(MARGIN, y, true, 12.0, BLACK, LEGEND);
        tree.back.push(TagGroup::with_children(
            Tag::Hn(H2, Some(LEGEND.to_owned())),
            vec![id.into()],
        ));
        y += 4.0;
        for entry in entries {
            let mut p = TagGroup::new(Tag::P);
            y += LEGEND_LINE;
            p.push(self.span(MARGIN, y, true, LEGEND_SIZE, BLACK, &entry.label));
            for line in &entry.lines {
                y += LEGEND_LINE;
                p.push(self.span(MARGIN + 12.0, y, false, LEGEND_SIZE, BLACK, line));
            }
            y += 4.0;
            tree.back.push(p);
        }
        Ok(())
    }

    fn footer(&mut self, title: &str, page: usize, pages: usize) -> Result<(), ExportError> {
        let y = PAGE_HEIGHT - MARGIN + 10.0;
        let left = cut(self.regular, title, 8.0, TEXT_WIDTH / 2.0);
        self.artifact(Artifact::with_kind(ArtifactType::Footer), |pen| {
            pen.text(
                MARGIN,
                y,
                false,
                8.0,
                GREY,
                left.first().map_or("", String::as_str),
            );
            pen.text_right(
                PAGE_WIDTH - MARGIN,
                y,
                false,
                8.0,
                GREY,
                &format!("Pagina {page} van {pages}"),
            );
            Ok(())
        })
    }
}

fn paint(colour: Colour) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        ..Default::default()
    }
}
