//! The evaluation as files: a CSV for Belgian Excel, an XLSX workbook and a printable PDF.
//!
//! The yearly evaluation is talked over with each OCMW and with the team's management, who work
//! in Excel or on paper, so the counts of a [`Report`] leave the app in those three forms. All
//! three show the same figures, made in one place ([`Figure`]), so a number can never differ
//! between the CSV and the print.
//!
//! Excel in a Belgian locale opens a CSV by double-click only if it uses `;` between fields (the
//! comma is the decimal mark) and starts with a UTF-8 byte order mark (without it Excel reads the
//! file as Windows-1252 and mangles "Écaussinnes" and "→"). Dates are written dd/mm/yyyy, which
//! it turns into real dates.
//!
//! Counts of people are anonymous, but a "2" for a small municipality in one month can still
//! point at a family to someone who knows the village. An export meant for outside the team
//! ([`ExportOptions::suppress_small`], named `…-extern`) therefore hides every count from 1 to 4
//! ("<5"; a 0 reveals nobody and stays) and, as statistical offices do, every further cell from
//! which a hidden one could be worked out: a total that is the sum of its column, or a second
//! cell of a row whose consents are the sum of what became of them ([`hidden_cells`]). A median
//! rests on the referrals it is the median of, so it is shown only when 5 or more were sent and
//! their count is shown. Months are left out of such an export: per month, nearly every count
//! is small.

use chrono::{Datelike as _, NaiveDate};
use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    CountKey, Counts, MEDIAN_LABEL, MonthCounts, PartnerCounts, Report, days_text, legend,
};
use crate::error::Coded;
use crate::files::Export;

mod pdf;

pub use pdf::pdf;

/// What the worker chose in the export dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportOptions {
    /// Replace counts from 1 to 4 by "<5": for exports that leave the team.
    pub suppress_small: bool,
    /// Heading of the XLSX and the PDF, e.g. "Lokaal team Westerlo". Empty gives a plain title.
    pub title: String,
}

impl ExportOptions {
    fn heading(&self) -> &str {
        match self.title.trim() {
            "" => DEFAULT_TITLE,
            title => title,
        }
    }
}

const DEFAULT_TITLE: &str = "Evaluatie aanmeldingen";
/// Counts below this are replaced when suppressing.
const SMALL: u32 = 5;
const SMALL_TEXT: &str = "<5";
const SUPPRESSED_NOTE: &str = "Voor buiten het team: aantallen van 1 tot 4 zijn vervangen door <5, \
    en ook de aantallen waaruit die te berekenen zijn (een totaal, of een tweede cel van dezelfde \
    rij). Per maand staat er niets in: die aantallen zijn bijna alle klein.";
const TOTAL: &str = "Totaal";
const PARTNER: &str = "Partner";
const LEGEND: &str = "Legende";

/// The columns of the figures, in the order of [`figures`]: the report's own labels.
const FIGURE_HEADERS: [&str; 11] = [
    CountKey::ALL[0].label(),
    CountKey::ALL[1].label(),
    CountKey::ALL[2].label(),
    CountKey::ALL[3].label(),
    CountKey::ALL[4].label(),
    CountKey::ALL[5].label(),
    CountKey::ALL[6].label(),
    CountKey::ALL[7].label(),
    CountKey::ALL[8].label(),
    CountKey::ALL[9].label(),
    MEDIAN_LABEL,
];
const COUNTS: usize = CountKey::ALL.len();

/// One cell of the evaluation as every export shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    Count(u32),
    /// The median number of days from consent to sending.
    Days(f64),
    /// Hidden in an export for outside the team.
    Small,
    /// No median: nothing was sent.
    Blank,
}

impl Figure {
    /// As text for a reader in Belgium: decimal comma, no thousands separator.
    fn text(self) -> String {
        match self {
            Self::Count(n) => n.to_string(),
            Self::Days(days) => days_text(days),
            Self::Small => SMALL_TEXT.to_owned(),
            Self::Blank => String::new(),
        }
    }
}

/// The figures of one row as the team sees them, in the order of [`FIGURE_HEADERS`].
fn figures(counts: &Counts) -> [Figure; 11] {
    let mut row = [Figure::Blank; 11];
    for (cell, key) in row.iter_mut().zip(CountKey::ALL) {
        *cell = Figure::Count(counts.get(key));
    }
    row[COUNTS] = counts.median_days().map_or(Figure::Blank, Figure::Days);
    row
}

/// The rows of the summary: one per partner and the total, last. For outside the team with the
/// small counts hidden, and every cell from which one could be worked out.
fn summary_rows<'a>(report: &'a Report, options: &ExportOptions) -> Vec<(&'a str, [Figure; 11])> {
    let rows: Vec<(&str, &Counts)> = report
        .partners
        .iter()
        .map(|p| (p.name.as_str(), &p.total))
        .chain([(TOTAL, &report.total)])
        .collect();
    let mut out: Vec<(&str, [Figure; 11])> =
        rows.iter().map(|&(name, c)| (name, figures(c))).collect();
    if !options.suppress_small {
        return out;
    }
    let values: Vec<[u32; COUNTS]> = rows
        .iter()
        .map(|(_, c)| CountKey::ALL.map(|k| c.get(k)))
        .collect();
    for ((_, row), (hidden, (_, counts))) in out
        .iter_mut()
        .zip(hidden_cells(&values).into_iter().zip(&rows))
    {
        for (cell, hide) in row.iter_mut().zip(hidden) {
            if hide {
                *cell = Figure::Small;
            }
        }
        let sent = CountKey::ALL
            .iter()
            .position(|&k| k == CountKey::Sent)
            .unwrap_or(0);
        if row[sent] == Figure::Small || counts.sent < SMALL {
            row[COUNTS] = match row[COUNTS] {
                Figure::Blank => Figure::Blank,
                _ => Figure::Small,
            };
        }
    }
    out
}

/// Which cells of a table to hide for outside the team: `values` holds a row per partner and
/// the total last. First every count from 1 to 4; then, as long as some sum has exactly one
/// hidden cell (which the others would give away), also its smallest shown cell, a non-zero one
/// if there is any. The sums are each column (the total is the sum of the partners) and, in
/// every row, the consents (the sum of sent, waiting, failed and withdrawn before sending).
fn hidden_cells(values: &[[u32; COUNTS]]) -> Vec<[bool; COUNTS]> {
    let column = |k: CountKey| CountKey::ALL.iter().position(|&c| c == k).unwrap_or(0);
    let mut sums: Vec<Vec<(usize, usize)>> = Vec::new();
    if values.len() > 1 {
        for c in 0..COUNTS {
            sums.push((0..values.len()).map(|r| (r, c)).collect());
        }
    }
    for r in 0..values.len() {
        let mut cells = vec![(r, column(CountKey::Consented))];
        cells.extend(CountKey::CONSENT_PARTS.iter().map(|&k| (r, column(k))));
        sums.push(cells);
    }
    let mut hidden: Vec<[bool; COUNTS]> = values
        .iter()
        .map(|row| row.map(|n| (1..SMALL).contains(&n)))
        .collect();
    loop {
        let mut changed = false;
        for cells in &sums {
            if cells.iter().filter(|&&(r, c)| hidden[r][c]).count() != 1 {
                continue;
            }
            let shown = cells
                .iter()
                .filter(|&&(r, c)| !hidden[r][c])
                .min_by_key(|&&(r, c)| (values[r][c] == 0, values[r][c]));
            if let Some(&(r, c)) = shown {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

fn date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// `YYYY-MM` as a date on the first of the month.
fn month_start(month: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()
}

/// `YYYY-MM` as `mm/yyyy`.
fn month_text(month: &MonthCounts) -> String {
    month_start(&month.month).map_or_else(
        || month.month.clone(),
        |start| start.format("%m/%Y").to_string(),
    )
}

/// The CSV: a header, one row per partner and a "Totaal" row, then after a blank line the same
/// figures per month ("Maand" as mm/yyyy), per partner and for all partners together (not in an
/// export for outside the team), and last the legend: what each column counts.
///
/// UTF-8 with a byte order mark, `;` between fields, CRLF line ends, fields quoted when they hold
/// a `;`, a quote or a line break (quotes doubled). There is no title line, so Excel's filters and
/// other tools find the header on line 1.
pub fn csv(report: &Report, options: &ExportOptions) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let from = date(report.period.from);
    let to = date(report.period.to);

    let mut header = vec![PARTNER, "Van", "Tot"];
    header.extend(FIGURE_HEADERS);
    csv_line(&mut out, header.into_iter().map(str::to_owned));
    for (name, row) in summary_rows(report, options) {
        let fields = [name.to_owned(), from.clone(), to.clone()]
            .into_iter()
            .chain(row.map(Figure::text));
        csv_line(&mut out, fields);
    }

    if !options.suppress_small {
        out.push_str("\r\n");
        let mut header = vec![PARTNER, "Maand"];
        header.extend(FIGURE_HEADERS);
        csv_line(&mut out, header.into_iter().map(str::to_owned));
        let monthly = |name: &str, month: &MonthCounts| {
            [name.to_owned(), month_text(month)]
                .into_iter()
                .chain(figures(&month.counts).map(Figure::text))
        };
        for partner in &report.partners {
            for month in &partner.months {
                csv_line(&mut out, monthly(&partner.name, month));
            }
        }
        for month in &report.months {
            csv_line(&mut out, monthly(TOTAL, month));
        }
    }

    out.push_str("\r\n");
    csv_line(&mut out, [LEGEND.to_owned(), String::new()]);
    if options.suppress_small {
        csv_line(
            &mut out,
            [SMALL_TEXT.to_owned(), SUPPRESSED_NOTE.to_owned()],
        );
    }
    for entry in legend() {
        csv_line(&mut out, [entry.label, entry.explanation]);
    }
    out.into_bytes()
}

fn csv_line(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(&csv_field(&field));
    }
    out.push_str("\r\n");
}

fn csv_field(text: &str) -> String {
    // Excel runs a cell starting with = + - @ as a formula; a name from the register must never
    // become one in a file that travels. The apostrophe is what Excel itself uses to say "text".
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\r', '\n']) || text.trim() != text {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The workbook: an "Overzicht" sheet with one row per partner and the total, one sheet per
/// partner with its months and its total (not in an export for outside the team), and a
/// "Legende" sheet. Counts and medians are numbers, dates are dates; only "<5" is text.
pub fn xlsx(report: &Report, options: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new();
    let mut workbook = Workbook::new();
    let mut taken = vec![LEGEND.to_lowercase()];

    let sheet = new_sheet(&mut workbook, SUMMARY_SHEET, &mut taken)?;
    heading(sheet, report, options.heading(), options, &styles)?;
    table_header(sheet, PARTNER, &styles)?;
    let rows = summary_rows(report, options);
    let last = rows.len().saturating_sub(1);
    for (row, (i, (name, figures))) in (FIRST_ROW..).zip(rows.into_iter().enumerate()) {
        let style = if i == last {
            &styles.total
        } else {
            &styles.normal
        };
        sheet.write_string_with_format(row, 0, name, &style.label)?;
        figure_cells(sheet, row, figures, style)?;
    }
    let widest = report.partners.iter().map(|p| p.name.chars().count());
    label_column(sheet, widest.max().unwrap_or(0))?;

    if !options.suppress_small {
        for partner in &report.partners {
            let name = sheet_name(&partner.name, &taken);
            let sheet = new_sheet(&mut workbook, &name, &mut taken)?;
            partner_sheet(sheet, report, partner, options, &styles)?;
        }
    }

    let sheet = new_sheet(&mut workbook, LEGEND, &mut Vec::new())?;
    sheet.write_string_with_format(0, 0, LEGEND, &styles.title)?;
    let mut row = 2;
    if options.suppress_small {
        sheet.write_string_with_format(row, 0, SMALL_TEXT, &styles.normal.label)?;
        sheet.write_string_with_format(row, 1, SUPPRESSED_NOTE, &styles.wrapped)?;
        row += 1;
    }
    for entry in legend() {
        sheet.write_string_with_format(row, 0, &entry.label, &styles.normal.label)?;
        sheet.write_string_with_format(row, 1, &entry.explanation, &styles.wrapped)?;
        row += 1;
    }
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 100)?;
    Ok(workbook.save_to_buffer()?)
}

const SUMMARY_SHEET: &str = "Overzicht";
/// Row of the column headers; above it the title, the period and the note on suppression.
const HEADER_ROW: u32 = 4;
const FIRST_ROW: u32 = HEADER_ROW + 1;
/// Excel's limit on a sheet name, in UTF-16 units.
const SHEET_NAME_MAX: usize = 31;

fn partner_sheet(
    sheet: &mut Worksheet,
    report: &Report,
    partner: &PartnerCounts,
    options: &ExportOptions,
    styles: &Styles,
) -> Result<(), XlsxError> {
    heading(sheet, report, &partner.name, options, styles)?;
    table_header(sheet, "Maand", styles)?;
    let mut row = FIRST_ROW;
    for month in &partner.months {
        match month_start(&month.month) {
            Some(start) => {
                sheet.write_date_with_format(row, 0, excel_date(start)?, &styles.month)?
            }
            None => sheet.write_string_with_format(row, 0, &month.month, &styles.normal.label)?,
        };
        figure_cells(sheet, row, figures(&month.counts), &styles.normal)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, TOTAL, &styles.total.label)?;
    figure_cells(sheet, row, figures(&partner.total), &styles.total)?;
    label_column(sheet, 0)?;
    Ok(())
}

fn new_sheet<'a>(
    workbook: &'a mut Workbook,
    name: &str,
    taken: &mut Vec<String>,
) -> Result<&'a mut Worksheet, XlsxError> {
    taken.push(name.to_lowercase());
    let sheet = workbook.add_worksheet();
    sheet.set_name(name)?;
    sheet
        .set_landscape()
        .set_paper_size(9) // A4
        .set_print_fit_to_pages(1, 0);
    Ok(sheet)
}

/// Title, period and the note on suppression, above the table.
fn heading(
    sheet: &mut Worksheet,
    report: &Report,
    title: &str,
    options: &ExportOptions,
    styles: &Styles,
) -> Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, title, &styles.title)?;
    sheet.write_string_with_format(1, 0, "Periode", &styles.normal.label)?;
    sheet.write_date_with_format(1, 1, excel_date(report.period.from)?, &styles.date)?;
    sheet.write_string_with_format(1, 2, "tot en met", &styles.centre)?;
    sheet.write_date_with_format(1, 3, excel_date(report.period.to)?, &styles.date)?;
    if options.suppress_small {
        sheet.write_string(2, 0, SUPPRESSED_NOTE)?;
    }
    Ok(())
}

fn table_header(sheet: &mut Worksheet, first: &str, styles: &Styles) -> Result<(), XlsxError> {
    sheet.write_string_with_format(HEADER_ROW, 0, first, &styles.header)?;
    for (col, text) in (1u16..).zip(FIGURE_HEADERS) {
        sheet.write_string_with_format(HEADER_ROW, col, text, &styles.header)?;
        sheet.set_column_width(col, 14)?;
    }
    // Room for three lines of the wrapped headers.
    sheet.set_row_height(HEADER_ROW, 45)?;
    sheet.set_freeze_panes(FIRST_ROW, 1)?;
    Ok(())
}

/// Wide enough for the longest label, "Periode" and a date in the title rows.
fn label_column(sheet: &mut Worksheet, chars: usize) -> Result<(), XlsxError> {
    let width = chars.clamp(12, 45) as f64 + 2.0;
    sheet.set_column_width(0, width)?;
    Ok(())
}

fn figure_cells(
    sheet: &mut Worksheet,
    row: u32,
    figures: [Figure; 11],
    style: &RowStyle,
) -> Result<(), XlsxError> {
    for (col, figure) in (1u16..).zip(figures) {
        match figure {
            Figure::Count(n) => sheet.write_number_with_format(row, col, n, &style.count)?,
            Figure::Days(days) => sheet.write_number_with_format(row, col, days, &style.days)?,
            Figure::Small => sheet.write_string_with_format(row, col, SMALL_TEXT, &style.small)?,
            Figure::Blank => sheet.write_blank(row, col, &style.count)?,
        };
    }
    Ok(())
}

fn excel_date(day: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    // Years and months fit their types for every date the app can hold; an error says so.
    let year = u16::try_from(day.year()).map_err(|_| XlsxError::DateTimeRangeError(date(day)))?;
    let month = u8::try_from(day.month()).map_err(|_| XlsxError::DateTimeRangeError(date(day)))?;
    let dom = u8::try_from(day.day()).map_err(|_| XlsxError::DateTimeRangeError(date(day)))?;
    ExcelDateTime::from_ymd(year, month, dom)
}

/// A sheet name Excel accepts, unlike every name in `taken` (compared as Excel does, without
/// case): at most 31 UTF-16 units, none of `[]:*?/\`, no apostrophe at either end, not the
/// reserved "History".
fn sheet_name(name: &str, taken: &[String]) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut base = cleaned.trim_matches('\'').trim().to_owned();
    if base.is_empty() || base.eq_ignore_ascii_case("history") {
        base = PARTNER.to_owned();
    }
    (1..)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!(" ({n})")
            };
            let room = SHEET_NAME_MAX - suffix.len();
            let mut candidate = String::new();
            for c in base.chars() {
                if candidate.encode_utf16().count() + c.len_utf16() > room {
                    break;
                }
                candidate.push(c);
            }
            // Cutting may leave an apostrophe or a space at the end.
            let candidate = candidate.trim_end_matches(['\'', ' ']);
            format!("{candidate}{suffix}")
        })
        .find(|candidate| !taken.contains(&candidate.to_lowercase()))
        .unwrap_or_else(|| PARTNER.to_owned())
}

/// The cell formats of one kind of row.
struct RowStyle {
    label: Format,
    count: Format,
    days: Format,
    small: Format,
}

struct Styles {
    title: Format,
    header: Format,
    date: Format,
    month: Format,
    centre: Format,
    wrapped: Format,
    normal: RowStyle,
    total: RowStyle,
}

impl Styles {
    fn new() -> Self {
        let row = |base: Format| RowStyle {
            label: base.clone(),
            count: base.clone().set_num_format("0"),
            // "General": 3 stays 3 and 3.5 shows as 3,5 in a Belgian Excel, as on the screen.
            days: base.clone().set_num_format("General"),
            small: base.set_align(FormatAlign::Right),
        };
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(Color::RGB(0xE4F2EF))
                .set_border_bottom(FormatBorder::Thin),
            date: Format::new()
                .set_num_format("dd/mm/yyyy")
                .set_align(FormatAlign::Left),
            month: Format::new()
                .set_num_format("mm/yyyy")
                .set_align(FormatAlign::Left),
            centre: Format::new().set_align(FormatAlign::Center),
            wrapped: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            normal: row(Format::new()),
            total: row(Format::new().set_bold().set_border_top(FormatBorder::Thin)),
        }
    }
}

/// Why an export could not be made. These are defects of the app, not of the report: the
/// worker can only choose another format and tell whoever maintains the app.
/// The three forms the evaluation leaves the app in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Pdf,
}

/// The report as a file to save, named after the period only: `evaluatie-2026.xlsx`, or
/// `evaluatie-2026-01-01-2026-06-30.csv` for any other period. No name of a worker, team or
/// partner goes into a file name.
pub fn file(
    report: &Report,
    format: ExportFormat,
    options: &ExportOptions,
) -> Result<Export, ExportError> {
    let (bytes, extension) = match format {
        ExportFormat::Csv => (csv(report, options), "csv"),
        ExportFormat::Xlsx => (xlsx(report, options)?, "xlsx"),
        ExportFormat::Pdf => (pdf(report, options)?, "pdf"),
    };
    // A file for outside the team says so in its name, next to the one for the team.
    let audience = if options.suppress_small {
        "-extern"
    } else {
        ""
    };
    Ok(Export {
        file_name: format!(
            "evaluatie-{}{audience}.{extension}",
            report.period.file_stem()
        ),
        bytes: bytes.into(),
    })
}

#[derive(Debug, thiserror::Error, Coded)]
#[coded(prefix = "report")]
pub enum ExportError {
    #[error(
        "Het Excel-bestand kon niet gemaakt worden ({0}). Kies CSV of PDF, en meld dit aan wie \
         de app beheert."
    )]
    #[coded(code = "report.export_xlsx")]
    Xlsx(String),
    #[error(
        "De PDF kon niet gemaakt worden ({0}). Kies CSV of Excel, en meld dit aan wie de app \
         beheert."
    )]
    #[coded(code = "report.export_pdf")]
    Pdf(String),
    #[error(
        "Het ingebouwde lettertype voor de PDF kon niet geladen worden. Kies CSV of Excel, en \
         meld dit aan wie de app beheert."
    )]
    #[coded(code = "report.export_font")]
    Font,
}

impl From<XlsxError> for ExportError {
    fn from(e: XlsxError) -> Self {
        Self::Xlsx(e.to_string())
    }
}

#[cfg(test)]
mod tests;
