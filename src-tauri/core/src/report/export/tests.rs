use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;

use super::*;
use crate::report::Period;
use crate::report::tests::eight;

// ---- test reports, built by hand ----

#[allow(clippy::too_many_arguments)]
fn counts(
    explained: u32,
    consented: u32,
    refused: u32,
    sent: u32,
    failed: u32,
    withdrawn: u32,
    corrected: u32,
    incidents: u32,
    days_to_send: &[(u32, u32)],
) -> Counts {
    Counts {
        explained,
        consented,
        refused,
        sent,
        failed,
        withdrawn,
        corrected,
        incidents,
        days_to_send: days_to_send.to_vec(),
    }
}

fn add(a: &Counts, b: &Counts) -> Counts {
    let mut days = a.days_to_send.clone();
    for &(d, n) in &b.days_to_send {
        match days.iter_mut().find(|(e, _)| *e == d) {
            Some(entry) => entry.1 += n,
            None => days.push((d, n)),
        }
    }
    days.sort_unstable();
    Counts {
        explained: a.explained + b.explained,
        consented: a.consented + b.consented,
        refused: a.refused + b.refused,
        sent: a.sent + b.sent,
        failed: a.failed + b.failed,
        withdrawn: a.withdrawn + b.withdrawn,
        corrected: a.corrected + b.corrected,
        incidents: a.incidents + b.incidents,
        days_to_send: days,
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A partner over 2025 with the given counts in the given months (1-based) and zeros elsewhere.
fn partner(name: &str, busy: &[(u32, Counts)]) -> PartnerCounts {
    let months: Vec<MonthCounts> = (1..=12)
        .map(|m| MonthCounts {
            month: format!("2025-{m:02}"),
            counts: busy
                .iter()
                .find(|(b, _)| *b == m)
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
        })
        .collect();
    let total = months
        .iter()
        .fold(Counts::default(), |t, m| add(&t, &m.counts));
    PartnerCounts {
        recipient: format!("ocmw:{}", name.len()),
        name: name.to_owned(),
        total,
        months,
    }
}

fn report_of(partners: Vec<PartnerCounts>) -> Report {
    let months: Vec<MonthCounts> = (0..12)
        .map(|i| MonthCounts {
            month: format!("2025-{:02}", i + 1),
            counts: partners
                .iter()
                .fold(Counts::default(), |t, p| add(&t, &p.months[i].counts)),
        })
        .collect();
    let total = partners
        .iter()
        .fold(Counts::default(), |t, p| add(&t, &p.total));
    Report {
        period: Period {
            from: day(2025, 1, 1),
            to: day(2025, 12, 31),
        },
        partners,
        total,
        months,
    }
}

const QUOTED: &str = "OCMW \"De Kempen\"; regio Zuid";

/// Three partners: a busy one, one with a name that needs quoting and small counts, and a
/// French-speaking one with an apostrophe and accents.
fn sample() -> Report {
    report_of(vec![
        partner(
            "OCMW Westerlo",
            &[
                (1, counts(9, 7, 2, 7, 1, 0, 1, 0, &[(1, 3), (2, 2), (6, 2)])),
                (3, counts(12, 10, 2, 11, 0, 1, 0, 0, &[(0, 4), (3, 6)])),
                (11, counts(6, 5, 1, 5, 0, 0, 0, 1, &[(2, 5)])),
            ],
        ),
        partner(
            QUOTED,
            &[
                (2, counts(3, 2, 1, 2, 0, 0, 0, 0, &[(4, 1), (9, 1)])),
                (3, counts(2, 1, 1, 1, 1, 0, 0, 0, &[(2, 1)])),
            ],
        ),
        partner(
            "CPAS d'Écaussinnes",
            &[(
                6,
                counts(5, 5, 0, 5, 0, 0, 0, 0, &[(1, 2), (2, 2), (10, 1)]),
            )],
        ),
    ])
}

fn plain() -> ExportOptions {
    ExportOptions {
        suppress_small: false,
        title: "Lokaal team Westerlo".into(),
    }
}

fn suppressed() -> ExportOptions {
    ExportOptions {
        suppress_small: true,
        ..plain()
    }
}

// ---- CSV ----

/// An independent reader for what Excel does with the file: `;` separated, `"` quoted with
/// doubled quotes, CRLF rows.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ';') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF as a line end"),
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "last line without CRLF");
    rows
}

fn csv_rows(report: &Report, options: &ExportOptions) -> Vec<Vec<String>> {
    let bytes = csv(report, options);
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "no UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    parse_csv(&text)
}

const HEADERS: [&str; 9] = [
    "Vijf punten uitgelegd",
    "Toestemmingen",
    "Weigeringen",
    "Pakketten verzonden",
    "Mislukt of aandacht nodig",
    "Intrekkingen",
    "Correcties",
    "Verkeerd adres (datalek)",
    "Mediaan dagen toestemming → verzending",
];

#[test]
fn the_csv_has_a_bom_semicolons_and_gives_back_every_number() {
    let report = sample();
    let rows = csv_rows(&report, &plain());

    let mut header = vec!["Partner", "Van", "Tot"];
    header.extend(HEADERS);
    assert_eq!(rows[0], header);
    let n = report.partners.len();
    for (row, partner) in rows[1..=n].iter().zip(&report.partners) {
        assert_eq!(row.len(), 12);
        assert_eq!(row[0], partner.name);
        assert_eq!(row[1], "01/01/2025");
        assert_eq!(row[2], "31/12/2025");
        let numbers: Vec<u32> = row[3..11].iter().map(|f| f.parse().unwrap()).collect();
        assert_eq!(numbers, eight(&partner.total));
    }
    let total = &rows[n + 1];
    assert_eq!(total[0], "Totaal");
    let numbers: Vec<u32> = total[3..11].iter().map(|f| f.parse().unwrap()).collect();
    assert_eq!(numbers, eight(&report.total));
    // Added up by hand: 9+12+6 + 3+2 + 5 explained, 7+11+5 + 2+1 + 5 sent.
    assert_eq!(numbers[0], 37);
    assert_eq!(numbers[3], 31);

    // Medians, with a decimal comma. Westerlo: 1×3 2×2 6×2 0×4 3×6 2×5 = 22 referrals,
    // sorted 0000 111 2222222 333333 66: the 11th and 12th are 2 and 2.
    assert_eq!(rows[1][11], "2");
    // De Kempen: 2 4 9 → 4. Écaussinnes: 1 1 2 2 10 → 2.
    assert_eq!(rows[2][11], "4");
    assert_eq!(rows[3][11], "2");

    // Then a blank line and the months.
    assert_eq!(rows[n + 2], vec![String::new()]);
    let mut header = vec!["Partner", "Maand"];
    header.extend(HEADERS);
    assert_eq!(rows[n + 3], header);
    let months = &rows[n + 4..];
    assert_eq!(months.len(), 12 * (n + 1));
    let westerlo_march = &months[2];
    assert_eq!(westerlo_march[0], "OCMW Westerlo");
    assert_eq!(westerlo_march[1], "03/2025");
    assert_eq!(
        westerlo_march[2..10],
        ["12", "10", "2", "11", "0", "1", "0", "0"]
    );
    assert_eq!(westerlo_march[10], "3");
    let kempen_february = &months[12 + 1];
    assert_eq!(kempen_february[0], QUOTED);
    // 4 and 9: a half day, with a comma.
    assert_eq!(kempen_february[10], "6,5");
    // A month with nothing sent has no median.
    assert_eq!(months[12 + 4][10], "");
    let total_march = &months[12 * n + 2];
    assert_eq!(total_march[0], "Totaal");
    assert_eq!(total_march[1], "03/2025");
    // Westerlo 12 + De Kempen 2 explained in March.
    assert_eq!(total_march[2], "14");
    assert!(months.iter().all(|r| r.len() == 11));
}

#[test]
fn a_partner_name_with_a_semicolon_and_quotes_is_quoted_and_survives() {
    let raw = String::from_utf8(csv(&sample(), &plain())).unwrap();
    assert!(raw.contains("\r\n\"OCMW \"\"De Kempen\"\"; regio Zuid\";01/01/2025;"));
    // Plain names are not quoted.
    assert!(raw.contains("\r\nOCMW Westerlo;01/01/2025;"));
    // Every line ends in CRLF.
    assert_eq!(raw.matches('\n').count(), raw.matches("\r\n").count());
}

#[test]
fn a_name_excel_would_run_as_a_formula_is_kept_as_text() {
    let report = report_of(vec![partner("=HYPERLINK(\"x\")", &[])]);
    let rows = csv_rows(&report, &plain());
    assert_eq!(rows[1][0], "'=HYPERLINK(\"x\")");
}

#[test]
fn suppression_replaces_one_to_four_and_nothing_else() {
    let report = sample();
    let open = csv_rows(&report, &plain());
    assert!(open.iter().flatten().all(|f| f != "<5"));

    let rows = csv_rows(&report, &suppressed());
    let all = [
        &report.partners[0].total,
        &report.partners[1].total,
        &report.partners[2].total,
        &report.total,
    ];
    for (row, counts) in rows[1..=4].iter().zip(all) {
        for (field, n) in row[3..11].iter().zip(eight(counts)) {
            let expected = if (1..=4).contains(&n) {
                "<5".to_owned()
            } else {
                n.to_string()
            };
            assert_eq!(field, &expected);
        }
    }
    // De Kempen, written out by hand: 5 explained, 3 consented, 2 refused, 3 sent, 1 failed.
    assert_eq!(rows[2][3..11], ["5", "<5", "<5", "<5", "<5", "0", "0", "0"]);
    // Its median rests on 3 referrals: hidden. Écaussinnes' on 5: shown.
    assert_eq!(rows[2][11], "<5");
    assert_eq!(rows[3][11], "2");
    // In the month section too, and zero months stay 0.
    let westerlo_june = &rows[7 + 5];
    assert_eq!(westerlo_june[1], "06/2025");
    assert!(westerlo_june[2..10].iter().all(|f| f == "0"));
    let westerlo_november = &rows[7 + 10];
    assert_eq!(
        westerlo_november[2..11],
        ["6", "5", "<5", "5", "0", "0", "0", "<5", "2"]
    );
}

// ---- XLSX ----

fn book(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).unwrap()
}

fn number(data: Option<&Data>) -> f64 {
    match data {
        Some(Data::Float(n)) => *n,
        Some(Data::Int(n)) => *n as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn text(data: Option<&Data>) -> String {
    match data {
        Some(Data::String(s)) => s.clone(),
        other => panic!("expected text, found {other:?}"),
    }
}

/// Excel's serial day number: days since 30 December 1899.
fn serial(d: NaiveDate) -> f64 {
    (d - day(1899, 12, 30)).num_days() as f64
}

fn excel_day(data: Option<&Data>) -> f64 {
    match data {
        Some(Data::DateTime(d)) => d.as_f64(),
        other => panic!("expected a date, found {other:?}"),
    }
}

#[test]
fn the_workbook_opens_with_the_same_numbers_on_every_sheet() {
    let report = sample();
    let mut book = book(xlsx(&report, &plain()).unwrap());
    assert_eq!(
        book.sheet_names(),
        [
            "Overzicht",
            "OCMW Westerlo",
            "OCMW \"De Kempen\"; regio Zuid",
            "CPAS d'Écaussinnes"
        ]
    );

    let summary = book.worksheet_range("Overzicht").unwrap();
    assert_eq!(text(summary.get_value((0, 0))), "Lokaal team Westerlo");
    assert_eq!(
        excel_day(summary.get_value((1, 1))),
        serial(day(2025, 1, 1))
    );
    assert_eq!(
        excel_day(summary.get_value((1, 3))),
        serial(day(2025, 12, 31))
    );
    assert_eq!(text(summary.get_value((4, 0))), "Partner");
    for (col, header) in (1..).zip(HEADERS) {
        assert_eq!(text(summary.get_value((4, col))), header);
    }
    let rows = report
        .partners
        .iter()
        .map(|p| (p.name.as_str(), &p.total))
        .chain([("Totaal", &report.total)]);
    for (row, (name, counts)) in (5..).zip(rows) {
        assert_eq!(text(summary.get_value((row, 0))), name);
        for (col, n) in (1..).zip(eight(counts)) {
            assert_eq!(
                number(summary.get_value((row, col))),
                f64::from(n),
                "{name} col {col}"
            );
        }
    }
    // Medians as numbers: 2, 4, 2; the total's 30 referrals sorted
    // 0000 11111 2222222222 333333 4 66 9 10: the 15th and 16th are 2 and 2.
    assert_eq!(number(summary.get_value((5, 9))), 2.0);
    assert_eq!(number(summary.get_value((6, 9))), 4.0);
    assert_eq!(number(summary.get_value((8, 9))), 2.0);

    for (sheet, partner) in book.sheet_names()[1..]
        .to_vec()
        .iter()
        .zip(&report.partners)
    {
        let range = book.worksheet_range(sheet).unwrap();
        assert_eq!(text(range.get_value((0, 0))), partner.name);
        assert_eq!(text(range.get_value((4, 0))), "Maand");
        for (row, month) in (5..).zip(&partner.months) {
            let first =
                NaiveDate::parse_from_str(&format!("{}-01", month.month), "%Y-%m-%d").unwrap();
            assert_eq!(excel_day(range.get_value((row, 0))), serial(first));
            for (col, n) in (1..).zip(eight(&month.counts)) {
                assert_eq!(number(range.get_value((row, col))), f64::from(n));
            }
        }
        assert_eq!(text(range.get_value((17, 0))), "Totaal");
        for (col, n) in (1..).zip(eight(&partner.total)) {
            assert_eq!(number(range.get_value((17, col))), f64::from(n));
        }
    }
    // De Kempen in February: 4 and 9 days, a median of 6.5 as a number.
    let kempen = book
        .worksheet_range("OCMW \"De Kempen\"; regio Zuid")
        .unwrap();
    assert_eq!(number(kempen.get_value((6, 9))), 6.5);
    // A month without sends has an empty median cell.
    assert!(matches!(
        kempen.get_value((4 + 12, 9)),
        None | Some(Data::Empty)
    ));
}

#[test]
fn suppressed_cells_in_the_workbook_are_the_text_less_than_five() {
    let report = sample();
    let mut book = book(xlsx(&report, &suppressed()).unwrap());
    let summary = book.worksheet_range("Overzicht").unwrap();
    assert_eq!(
        text(summary.get_value((2, 0))),
        "Aantallen van 1 tot 4 zijn vervangen door <5."
    );
    // De Kempen: 5 explained stays a number, 2 consented becomes text, 0 withdrawn stays 0.
    assert_eq!(number(summary.get_value((6, 1))), 5.0);
    assert_eq!(text(summary.get_value((6, 2))), "<5");
    assert_eq!(number(summary.get_value((6, 6))), 0.0);
    assert_eq!(text(summary.get_value((6, 9))), "<5");
    // The total: 1 incident in all becomes "<5"; 37 explained stays.
    assert_eq!(number(summary.get_value((8, 1))), 37.0);
    assert_eq!(text(summary.get_value((8, 8))), "<5");

    let mut open = self::book(xlsx(&report, &plain()).unwrap());
    for sheet in open.sheet_names().to_vec() {
        let range = open.worksheet_range(&sheet).unwrap();
        assert!(
            range
                .used_cells()
                .all(|(_, _, d)| *d != Data::String("<5".into())),
            "{sheet}"
        );
    }
}

#[test]
fn sheet_names_follow_excels_rules_and_are_unique() {
    let taken = |names: &[&str]| names.iter().map(|n| n.to_lowercase()).collect::<Vec<_>>();
    assert_eq!(
        sheet_name("OCMW Westerlo", &taken(&["Overzicht"])),
        "OCMW Westerlo"
    );
    assert_eq!(
        sheet_name("CAW [Brussel]: a/b\\c*?", &[]),
        "CAW Brussel a b c"
    );
    assert_eq!(sheet_name("'Quoted'", &[]), "Quoted");
    assert_eq!(sheet_name("History", &[]), "Partner");
    assert_eq!(sheet_name("  ", &[]), "Partner");
    assert_eq!(
        sheet_name("overzicht", &taken(&["Overzicht"])),
        "overzicht (2)"
    );
    let long = "Openbaar Centrum voor Maatschappelijk Welzijn Westerlo";
    let first = sheet_name(long, &[]);
    assert_eq!(first, "Openbaar Centrum voor Maatschap");
    let second = sheet_name(long, &taken(&[&first]));
    assert_eq!(second, "Openbaar Centrum voor Maats (2)");
    // Astral characters count twice in Excel's UTF-16 limit.
    let emoji = sheet_name(&"😀".repeat(20), &[]);
    assert_eq!(emoji.encode_utf16().count(), 30);

    // The same through the workbook: Excel's own rules are checked again by calamine reading.
    let report = report_of(vec![
        partner(&format!("{long} Noord"), &[]),
        partner(&format!("{long} Zuid"), &[]),
        partner("OVERZICHT", &[]),
        partner("a/b", &[]),
    ]);
    let book = book(xlsx(&report, &plain()).unwrap());
    let names = book.sheet_names();
    assert_eq!(names.len(), 5);
    let mut lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    lower.sort();
    lower.dedup();
    assert_eq!(lower.len(), 5, "{names:?}");
    for name in &names {
        assert!(name.encode_utf16().count() <= 31, "{name}");
        assert!(
            !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
            "{name}"
        );
    }
}

// ---- PDF ----

#[path = "../../../tests/support/poppler.rs"]
mod poppler;
use poppler::pdf_text;

#[test]
fn the_pdf_prints_the_names_totals_and_chart() {
    let report = sample();
    let text = pdf_text(&pdf(&report, &plain()).unwrap(), "report-summary");
    for expected in [
        "Lokaal team Westerlo",
        "01/01/2025 – 31/12/2025",
        "OCMW Westerlo",
        "OCMW \"De Kempen\"; regio Zuid",
        "CPAS d'Écaussinnes",
        "Per maand, alle partners samen",
        "Pakketten verzonden",
        "Pagina 1 van 1",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    // The total row with its figures, as pdftotext lays them out on one line.
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Totaal"))
        .unwrap();
    let figures: Vec<&str> = total.split_whitespace().skip(1).collect();
    let mut expected: Vec<String> = eight(&report.total).iter().map(u32::to_string).collect();
    expected.push("2".into());
    assert_eq!(figures, expected);
    // Month labels under the chart.
    for month in ["jan", "jun", "dec", "2025"] {
        assert!(text.contains(month), "{month}");
    }
    assert!(!text.contains("<5"));
}

#[test]
fn the_suppressed_pdf_hides_small_counts() {
    let text = pdf_text(&pdf(&sample(), &suppressed()).unwrap(), "report-suppressed");
    assert!(text.contains("Aantallen van 1 tot 4 zijn vervangen door <5."));
    assert!(text.contains("minder dan 5"));
    let kempen = text.lines().find(|l| l.contains("De Kempen")).unwrap();
    let figures: Vec<&str> = kempen.split_whitespace().rev().take(9).collect();
    assert_eq!(figures, ["<5", "0", "0", "0", "<5", "<5", "<5", "<5", "5"]);
}

#[test]
fn many_partners_continue_on_numbered_pages() {
    let partners: Vec<PartnerCounts> = (1..=70)
        .map(|i| {
            partner(
                &format!("OCMW Gemeente {i:02}"),
                &[(i % 12 + 1, counts(i, i, 0, i, 0, 0, 0, 0, &[(2, i)]))],
            )
        })
        .collect();
    let report = report_of(partners);
    let text = pdf_text(&pdf(&report, &plain()).unwrap(), "report-long");
    let pages = text.matches("Pagina ").count();
    assert!(pages >= 3, "{pages} pages");
    assert!(text.contains(&format!("Pagina {pages} van {pages}")));
    for i in 1..=70 {
        assert!(text.contains(&format!("OCMW Gemeente {i:02}")), "{i}");
    }
    assert!(text.contains("Per partner (vervolg)"));
    // 1 + 2 + … + 70 referrals sent in all.
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Totaal"))
        .unwrap();
    assert_eq!(total.split_whitespace().nth(4), Some("2485"));
}

#[test]
fn a_period_of_many_months_and_an_empty_report_still_print() {
    let mut long = sample();
    long.months = (0..36)
        .map(|i| MonthCounts {
            month: format!("{}-{:02}", 2023 + i / 12, i % 12 + 1),
            counts: counts(0, 0, 0, i, 0, 0, 0, 0, &[]),
        })
        .collect();
    let text = pdf_text(&pdf(&long, &plain()).unwrap(), "report-36-months");
    assert!(text.contains("2023") && text.contains("2025"));

    let empty = report_of(Vec::new());
    let text = pdf_text(&pdf(&empty, &plain()).unwrap(), "report-empty");
    assert!(text.contains("Totaal"));
    assert!(csv(&empty, &plain()).len() > 3);
    xlsx(&empty, &plain()).unwrap();
}

#[test]
fn the_pdf_fonts_have_every_character_of_the_fixed_texts() {
    let fixed: String = pdf::print_headers().concat() + SUPPRESSED_NOTE + "…–<5 Pagina van";
    for font in [
        crate::package::document::REGULAR,
        crate::package::document::BOLD,
    ] {
        let face = rustybuzz::Face::from_slice(font, 0).unwrap();
        for c in fixed.chars().filter(|c| !c.is_whitespace()) {
            assert!(face.glyph_index(c).is_some(), "{c}");
        }
        // Noto Sans has no arrow: that is why the print spells it out.
        assert!(face.glyph_index('→').is_none());
    }
}

#[test]
fn a_long_title_and_name_are_cut_not_spilled() {
    let mut options = plain();
    options.title = "Lokaal team ".repeat(40);
    let report = report_of(vec![partner(&"Heel lange naam ".repeat(60), &[])]);
    let text = pdf_text(&pdf(&report, &options).unwrap(), "report-cut");
    assert!(text.contains('…'));
    // An empty title gets a plain one.
    let text = pdf_text(
        &pdf(&report, &ExportOptions::default()).unwrap(),
        "report-untitled",
    );
    assert!(text.contains("Evaluatie doorverwijzingen"));
}

#[test]
fn an_export_file_is_named_after_its_period_and_nothing_else() {
    let mut report = sample();
    let files: Vec<Export> = [ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Pdf]
        .into_iter()
        .map(|format| file(&report, format, &plain()).unwrap())
        .collect();
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "evaluatie-2025.csv",
            "evaluatie-2025.xlsx",
            "evaluatie-2025.pdf"
        ]
    );
    assert_eq!(files[0].bytes, csv(&report, &plain()));
    assert!(files[1].bytes.starts_with(b"PK"));
    assert!(files[2].bytes.starts_with(b"%PDF"));

    report.period.to = day(2025, 6, 30);
    let half = file(&report, ExportFormat::Csv, &plain()).unwrap();
    assert_eq!(half.file_name, "evaluatie-2025-01-01-2025-06-30.csv");
}
