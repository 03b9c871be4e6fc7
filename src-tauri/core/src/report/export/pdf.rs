//! The printable summary: A4 landscape, the title and period, a bar chart of the months and the
//! table per partner, continued on further pages when the team works with many OCMWs.
//!
//! Laid out by hand with krilla, with the fonts and measuring of [`crate::package::document`].
//! The layout is planned before anything is drawn, so every page can say "pagina 2 van 3".

use chrono::Datelike;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::TextDirection;
use krilla::{Document, SerializeSettings};

use super::{
    ExportError, ExportOptions, FIGURE_HEADERS, Figure, MonthCounts, Report, SMALL,
    SUPPRESSED_NOTE, TOTAL, date, figures, month_start,
};
use crate::package::document::{BOLD, Face, REGULAR};

const PAGE_WIDTH: f32 = 841.89; // A4 landscape, in points
const PAGE_HEIGHT: f32 = 595.28;
const MARGIN: f32 = 40.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Baselines below this would run into the footer.
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 14.0;

const NAME_WIDTH: f32 = 180.0;
const FIGURE_WIDTH: f32 = (TEXT_WIDTH - NAME_WIDTH) / 9.0;
const CELL_PAD: f32 = 5.0;
const ROW_SIZE: f32 = 9.0;
const ROW_LINE: f32 = 12.0;
const HEADER_SIZE: f32 = 7.0;
const HEADER_LINE: f32 = 9.0;
/// Long titles and partner names are cut after this many lines, so a row always fits a page.
const MAX_LINES: usize = 3;

const CHART_HEIGHT: f32 = 150.0;
/// The chart with its heading, legend and month labels.
const CHART_BLOCK: f32 = 22.0 + 18.0 + CHART_HEIGHT + 34.0;
/// Past two years of months, three bars a month get too thin: only the packages sent are drawn.
const MONTHS_FOR_THREE_SERIES: usize = 24;

type Colour = (u8, u8, u8);
const BLACK: Colour = (0, 0, 0);
const GREY: Colour = (95, 95, 95);
const GRID: Colour = (218, 218, 218);
const TEAL: Colour = (20, 95, 87);
const LIGHT_TEAL: Colour = (120, 186, 174);
const AMBER: Colour = (214, 141, 52);
const TINT: Colour = (228, 242, 239);
const ZEBRA: Colour = (244, 248, 247);

const MONTHS: [&str; 12] = [
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];

/// The column headers as printed. Noto Sans has no arrow, so the median's header says "tot".
pub(super) fn print_headers() -> [String; 9] {
    FIGURE_HEADERS.map(|h| h.replace(" → ", " tot "))
}

/// One series of the chart.
struct Series {
    label: &'static str,
    colour: Colour,
    value: fn(&MonthCounts) -> u32,
}

const SERIES: [Series; 3] = [
    Series {
        label: "Pakketten verzonden",
        colour: TEAL,
        value: |m| m.counts.sent,
    },
    Series {
        label: "Toestemmingen",
        colour: LIGHT_TEAL,
        value: |m| m.counts.consented,
    },
    Series {
        label: "Weigeringen",
        colour: AMBER,
        value: |m| m.counts.refused,
    },
];

/// One line of the table, measured.
struct Row {
    lines: Vec<String>,
    figures: [Figure; 9],
    total: bool,
}

impl Row {
    fn height(&self) -> f32 {
        self.lines.len() as f32 * ROW_LINE + 2.0 * CELL_PAD - 3.0
    }
}

/// The printable summary as a PDF: the team's title, the period, a bar chart per month of all
/// partners together and a table with a row per partner and the total.
pub fn pdf(report: &Report, options: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    let regular = Face::load(REGULAR).map_err(|_| ExportError::Font)?;
    let bold = Face::load(BOLD).map_err(|_| ExportError::Font)?;

    let title = cut(&bold, options.heading(), 18.0, TEXT_WIDTH);
    let headers: Vec<Vec<String>> = print_headers()
        .iter()
        .map(|h| bold.wrap(h, HEADER_SIZE, FIGURE_WIDTH - CELL_PAD))
        .collect();
    let header_height =
        headers.iter().map(Vec::len).max().unwrap_or(1) as f32 * HEADER_LINE + 2.0 * CELL_PAD;
    let mut rows: Vec<Row> = report
        .partners
        .iter()
        .map(|p| Row {
            lines: cut(&regular, &p.name, ROW_SIZE, NAME_WIDTH - 2.0 * CELL_PAD),
            figures: figures(&p.total, options),
            total: false,
        })
        .collect();
    rows.push(Row {
        lines: vec![TOTAL.to_owned()],
        figures: figures(&report.total, options),
        total: true,
    });

    // Plan: which rows go on which page.
    let first_table = MARGIN + heading_height(title.len(), options.suppress_small) + CHART_BLOCK;
    let next_table = MARGIN;
    let mut pages: Vec<Vec<usize>> = vec![Vec::new()];
    let mut y = first_table + 22.0 + header_height;
    for (i, row) in rows.iter().enumerate() {
        if y + row.height() > BOTTOM && pages.last().is_some_and(|p| !p.is_empty()) {
            pages.push(Vec::new());
            y = next_table + 22.0 + header_height;
        }
        if let Some(page) = pages.last_mut() {
            page.push(i);
        }
        y += row.height();
    }

    let mut document = Document::new_with(SerializeSettings {
        xmp_metadata: false,
        ..Default::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(options.heading().to_owned())
            .language("nl-BE".to_owned()),
    );
    let settings =
        PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| layout("paginagrootte"))?;
    let count = pages.len();
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
                y = pen.heading(report, options, &title)?;
                y = pen.chart(report, options, y)?;
            }
            let heading = if number == 0 {
                "Per partner"
            } else {
                "Per partner (vervolg)"
            };
            y = pen.table_header(heading, &headers, header_height, y)?;
            for (shown, &i) in page_rows.iter().enumerate() {
                y = pen.row(&rows[i], shown % 2 == 1, y)?;
            }
            pen.footer(options.heading(), number + 1, count)
        })();
        surface.finish();
        page.finish();
        result?;
    }
    document
        .finish()
        .map_err(|e| ExportError::Pdf(format!("{e:?}")))
}

/// Height of the title lines, the period, the note on suppression and the rule under them; the
/// planning and the drawing both use it, so rows never spill under the footer.
fn heading_height(title_lines: usize, suppressed: bool) -> f32 {
    title_lines as f32 * 22.0 + 16.0 + if suppressed { 13.0 } else { 0.0 } + 14.0
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

/// The smallest step of 1, 2 or 5 times a power of ten that divides `top` in at most 5 parts.
fn axis_step(top: u32) -> u32 {
    let mut power = 1u32;
    loop {
        for factor in [1, 2, 5] {
            let step = factor * power;
            if top.div_ceil(step) <= 5 {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// The month's label under the chart; the year goes under the first month and every January.
fn month_label(month: &MonthCounts, first: bool) -> (String, Option<String>) {
    match month_start(&month.month) {
        Some(start) => {
            let name = MONTHS[start.month0() as usize].to_owned();
            let year = (first || start.month() == 1).then(|| start.year().to_string());
            (name, year)
        }
        None => (month.month.clone(), None),
    }
}

struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    regular: &'a Face,
    bold: &'a Face,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, bold: bool, size: f32, colour: Colour, text: &str) {
        let face = if bold { self.bold } else { self.regular };
        self.surface.set_fill(Some(paint(colour)));
        self.surface.draw_text(
            Point::from_xy(x, y),
            face.pdf.clone(),
            size,
            text,
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

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) -> Result<(), ExportError> {
        let mut path = PathBuilder::new();
        path.push_rect(Rect::from_xywh(x, y, w, h).ok_or_else(|| layout("vlak"))?);
        self.surface.set_fill(Some(paint(colour)));
        self.surface
            .draw_path(&path.finish().ok_or_else(|| layout("vlak"))?);
        self.surface.set_fill(Some(Fill::default()));
        Ok(())
    }

    fn outline(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Colour,
    ) -> Result<(), ExportError> {
        let mut path = PathBuilder::new();
        path.push_rect(Rect::from_xywh(x, y, w, h).ok_or_else(|| layout("kader"))?);
        self.stroke(path, 0.9, colour)
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

    /// Title, period and the note on suppression; returns the top of what follows.
    fn heading(
        &mut self,
        report: &Report,
        options: &ExportOptions,
        title: &[String],
    ) -> Result<f32, ExportError> {
        let mut y = MARGIN;
        for line in title {
            y += 22.0;
            self.text(MARGIN, y, true, 18.0, BLACK, line);
        }
        y += 16.0;
        let period = format!(
            "Evaluatie van de samenwerking, periode {} – {}",
            date(report.period.from),
            date(report.period.to)
        );
        self.text(MARGIN, y, false, 10.5, GREY, &period);
        if options.suppress_small {
            y += 13.0;
            self.text(MARGIN, y, false, 9.0, GREY, SUPPRESSED_NOTE);
        }
        y += 7.0;
        self.line((MARGIN, y), (PAGE_WIDTH - MARGIN, y), 0.8, TEAL)?;
        Ok(MARGIN + heading_height(title.len(), options.suppress_small))
    }

    /// The bar chart of all partners per month; returns the top of what follows.
    fn chart(
        &mut self,
        report: &Report,
        options: &ExportOptions,
        top: f32,
    ) -> Result<f32, ExportError> {
        let months = &report.months;
        let series = if months.len() <= MONTHS_FOR_THREE_SERIES {
            &SERIES[..]
        } else {
            &SERIES[..1]
        };
        let mut y = top + 22.0;
        self.text(
            MARGIN,
            y,
            true,
            12.0,
            BLACK,
            "Per maand, alle partners samen",
        );

        // Legend, right-aligned on the heading's line.
        let mut legend: Vec<(&str, Colour, bool)> =
            series.iter().map(|s| (s.label, s.colour, true)).collect();
        if options.suppress_small {
            legend.push(("minder dan 5", GREY, false));
        }
        let mut x = PAGE_WIDTH - MARGIN;
        for &(label, colour, filled) in legend.iter().rev() {
            x -= self.regular.width(label, 8.5);
            self.text(x, y, false, 8.5, GREY, label);
            x -= 12.0;
            if filled {
                self.rect(x, y - 7.5, 8.0, 8.0, colour)?;
            } else {
                self.outline(x, y - 7.5, 8.0, 8.0, colour)?;
            }
            x -= 14.0;
        }

        y += 18.0;
        let plot_left = MARGIN + 30.0;
        let plot_width = PAGE_WIDTH - MARGIN - plot_left;
        let base = y + CHART_HEIGHT;

        let value = |s: &Series, m: &MonthCounts| Figure::count((s.value)(m), options);
        let mut top_value = 1;
        for m in months {
            for s in series {
                top_value = top_value.max(match value(s, m) {
                    Figure::Count(n) => n,
                    _ => SMALL,
                });
            }
        }
        let step = axis_step(top_value);
        let axis_max = top_value.div_ceil(step) * step;
        let height_of = |n: u32| n as f32 / axis_max as f32 * CHART_HEIGHT;

        for tick in (0..=axis_max).step_by(step as usize) {
            let ty = base - height_of(tick);
            let colour = if tick == 0 { GREY } else { GRID };
            self.line((plot_left, ty), (PAGE_WIDTH - MARGIN, ty), 0.6, colour)?;
            self.text_right(
                plot_left - 5.0,
                ty + 2.5,
                false,
                7.5,
                GREY,
                &tick.to_string(),
            );
        }

        let quiet = months
            .iter()
            .all(|m| series.iter().all(|s| (s.value)(m) == 0));
        if quiet {
            let centre = plot_left + plot_width / 2.0;
            let message = "Geen pakketten, toestemmingen of weigeringen in deze periode.";
            self.text_centre(centre, base - CHART_HEIGHT / 2.0, 10.0, GREY, message);
        }
        if months.is_empty() {
            return Ok(top + CHART_BLOCK);
        }
        let group = plot_width / months.len() as f32;
        let bar = group * 0.74 / series.len() as f32;
        let labelled = bar >= 11.0;
        let label_width = self.regular.width("mmm", 8.0) + 6.0;
        let every = (label_width / group).ceil().max(1.0) as usize;
        for (i, m) in months.iter().enumerate() {
            let left = plot_left + i as f32 * group + group * 0.13;
            for (j, s) in series.iter().enumerate() {
                let x = left + j as f32 * bar;
                match value(s, m) {
                    Figure::Count(0) => {}
                    Figure::Count(n) => {
                        let h = height_of(n);
                        self.rect(x + 0.5, base - h, bar - 1.0, h, s.colour)?;
                        if labelled {
                            self.text_centre(
                                x + bar / 2.0,
                                base - h - 2.5,
                                6.5,
                                GREY,
                                &n.to_string(),
                            );
                        }
                    }
                    _ => {
                        // Somewhere from 1 to 4: an empty bar up to 5 says that, and no more.
                        let h = height_of(SMALL);
                        self.outline(x + 1.0, base - h, bar - 2.0, h, s.colour)?;
                        if labelled {
                            self.text_centre(x + bar / 2.0, base - h - 2.5, 6.5, GREY, "<5");
                        }
                    }
                }
            }
            if i % every == 0 {
                let (name, year) = month_label(m, i == 0);
                let centre = plot_left + (i as f32 + 0.5) * group;
                self.text_centre(centre, base + 11.0, 8.0, BLACK, &name);
                if let Some(year) = year {
                    self.text_centre(centre, base + 21.0, 7.0, GREY, &year);
                }
            }
        }
        Ok(top + CHART_BLOCK)
    }

    /// The table's heading and column headers; returns the top of the first row.
    fn table_header(
        &mut self,
        heading: &str,
        headers: &[Vec<String>],
        height: f32,
        top: f32,
    ) -> Result<f32, ExportError> {
        let y = top + 16.0;
        self.text(MARGIN, y, true, 12.0, BLACK, heading);
        let y = y + 6.0;
        self.rect(MARGIN, y, TEXT_WIDTH, height, TINT)?;
        let first = y + CELL_PAD + HEADER_SIZE;
        self.text(
            MARGIN + CELL_PAD,
            first,
            true,
            HEADER_SIZE,
            BLACK,
            "Partner",
        );
        for (col, lines) in headers.iter().enumerate() {
            let right = MARGIN + NAME_WIDTH + (col + 1) as f32 * FIGURE_WIDTH - CELL_PAD;
            for (k, line) in lines.iter().enumerate() {
                self.text_right(
                    right,
                    first + k as f32 * HEADER_LINE,
                    true,
                    HEADER_SIZE,
                    BLACK,
                    line,
                );
            }
        }
        Ok(y + height)
    }

    /// One row of the table; returns the top of the next.
    fn row(&mut self, row: &Row, shaded: bool, top: f32) -> Result<f32, ExportError> {
        let height = row.height();
        if row.total {
            self.line((MARGIN, top), (PAGE_WIDTH - MARGIN, top), 0.8, TEAL)?;
        } else if shaded {
            self.rect(MARGIN, top, TEXT_WIDTH, height, ZEBRA)?;
        }
        let first = top + CELL_PAD + ROW_SIZE - 1.0;
        for (k, line) in row.lines.iter().enumerate() {
            self.text(
                MARGIN + CELL_PAD,
                first + k as f32 * ROW_LINE,
                row.total,
                ROW_SIZE,
                BLACK,
                line,
            );
        }
        for (col, figure) in row.figures.iter().enumerate() {
            let right = MARGIN + NAME_WIDTH + (col + 1) as f32 * FIGURE_WIDTH - CELL_PAD;
            let colour = if *figure == Figure::Small {
                GREY
            } else {
                BLACK
            };
            self.text_right(right, first, row.total, ROW_SIZE, colour, &figure.text());
        }
        Ok(top + height)
    }

    fn footer(&mut self, title: &str, page: usize, pages: usize) -> Result<(), ExportError> {
        let y = PAGE_HEIGHT - MARGIN + 10.0;
        let left = cut(self.regular, title, 8.0, TEXT_WIDTH / 2.0);
        self.text(
            MARGIN,
            y,
            false,
            8.0,
            GREY,
            left.first().map_or("", String::as_str),
        );
        self.text_right(
            PAGE_WIDTH - MARGIN,
            y,
            false,
            8.0,
            GREY,
            &format!("Pagina {page} van {pages}"),
        );
        Ok(())
    }
}

fn paint(colour: Colour) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        ..Default::default()
    }
}
