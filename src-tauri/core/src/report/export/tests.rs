use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;

use super::*;
use crate::report::Period;
use crate::report::tests::ten;

// ---- test reports, built by hand ----

/// Counts whose consents are what became of them: `sent` and `waiting`, `failed` and
/// `withdrawn_unsent` are given, the consents their sum. One send per day in `days_to_send`.
#[allow(clippy::too_many_arguments)]
fn counts(
    explained: u32,
    refused: u32,
    waiting: u32,
    failed: u32,
    withdrawn_unsent: u32,
    withdrawn_sent: u32,
    corrected: u32,
    incidents: u32,
    days_to_send: &[(u32, u32)],
) -> Counts {
    let sent: u32 = days_to_send.iter().map(|&(_, n)| n).sum();
    Counts {
        explained,
        consented: sent + waiting + failed + withdrawn_unsent,
        refused,
        sent,
        waiting,
        failed,
        withdrawn_unsent,
        withdrawn_sent,
        corrected,
        incidents,
        days_to_send: days_to_send.to_vec(),
    }
}

fn add(a: &Counts, b: &Counts) -> Counts {
    let mut sum = a.clone();
    sum.add(b);
    sum
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
                (1, counts(9, 2, 0, 0, 0, 0, 1, 0, &[(1, 3), (2, 2), (6, 2)])),
                (3, counts(12, 2, 0, 0, 0, 1, 0, 0, &[(0, 4), (3, 6)])),
                (11, counts(7, 1, 1, 0, 0, 0, 0, 1, &[(2, 5)])),
            ],
        ),
        partner(
            QUOTED,
            &[
                (2, counts(3, 1, 0, 1, 0, 0, 0, 0, &[(4, 1), (9, 1)])),
                (3, counts(2, 1, 0, 0, 1, 0, 0, 0, &[(2, 1)])),
            ],
        ),
        partner(
            "CPAS d'Écaussinnes",
            &[(
                6,
                counts(5, 0, 0, 0, 0, 0, 0, 0, &[(1, 2), (2, 2), (10, 1)]),
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

const HEADERS: [&str; 11] = [
    "Vijf punten uitgelegd",
    "Toestemmingen",
    "Weigeringen",
    "Verzonden",
    "Wacht op verzending",
    "Mislukt of aandacht nodig",
    "Ingetrokken vóór verzending",
    "Ingetrokken na verzending",
    "Correcties",
    "Verkeerd adres (datalek)",
    "Mediaan dagen van toestemming tot verzending",
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
        assert_eq!(row.len(), 14);
        assert_eq!(row[0], partner.name);
        assert_eq!(row[1], "01/01/2025");
        assert_eq!(row[2], "31/12/2025");
        let numbers: Vec<u32> = row[3..13].iter().map(|f| f.parse().unwrap()).collect();
        assert_eq!(numbers, ten(&partner.total));
    }
    let total = &rows[n + 1];
    assert_eq!(total[0], "Totaal");
    let numbers: Vec<u32> = total[3..13].iter().map(|f| f.parse().unwrap()).collect();
    assert_eq!(numbers, ten(&report.total));
    // Added up by hand: 9+12+7 + 3+2 + 5 explained, 7+10+5 + 2+1 + 5 sent.
    assert_eq!(numbers[0], 38);
    assert_eq!(numbers[3], 30);
    // The consents are what became of them: 30 sent, 1 waiting, 1 failed, 1 withdrawn before.
    assert_eq!(numbers[1], 33);
    assert_eq!(numbers[4..7], [1, 1, 1]);

    // Medians, with a decimal comma. Westerlo: 1×3 2×2 6×2 0×4 3×6 2×5 = 22 referrals,
    // sorted 0000 111 2222222 333333 66: the 11th and 12th are 2 and 2.
    assert_eq!(rows[1][13], "2");
    // De Kempen: 2 4 9 → 4. Écaussinnes: 1 1 2 2 10 → 2.
    assert_eq!(rows[2][13], "4");
    assert_eq!(rows[3][13], "2");

    // Then a blank line and the months.
    assert_eq!(rows[n + 2], vec![String::new()]);
    let mut header = vec!["Partner", "Maand"];
    header.extend(HEADERS);
    assert_eq!(rows[n + 3], header);
    let months = &rows[n + 4..n + 4 + 12 * (n + 1)];
    let westerlo_march = &months[2];
    assert_eq!(westerlo_march[0], "OCMW Westerlo");
    assert_eq!(westerlo_march[1], "03/2025");
    assert_eq!(
        westerlo_march[2..12],
        ["12", "10", "2", "10", "0", "0", "0", "1", "0", "0"]
    );
    assert_eq!(westerlo_march[12], "3");
    let kempen_february = &months[12 + 1];
    assert_eq!(kempen_february[0], QUOTED);
    // 4 and 9: a half day, with a comma.
    assert_eq!(kempen_february[12], "6,5");
    // A month with nothing sent has no median.
    assert_eq!(months[12 + 4][12], "");
    let total_march = &months[12 * n + 2];
    assert_eq!(total_march[0], "Totaal");
    assert_eq!(total_march[1], "03/2025");
    // Westerlo 12 + De Kempen 2 explained in March.
    assert_eq!(total_march[2], "14");
    assert!(months.iter().all(|r| r.len() == 13));

    // Last, after a blank line, the legend: every column with what it counts.
    let legend = &rows[n + 4 + 12 * (n + 1)..];
    assert_eq!(legend[0], vec![String::new()]);
    assert_eq!(legend[1][0], "Legende");
    let labels: Vec<&str> = legend[2..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(labels, HEADERS);
    assert!(legend[2][1].contains("alle vijf punten"), "{:?}", legend[2]);
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

/// The sums an export for outside the team must not give away: each column's total, and in
/// every row the consents as the sum of what became of them. Counts from a parsed CSV.
fn no_sum_gives_a_hidden_cell_away(rows: &[Vec<String>]) {
    let hidden = |r: usize, c: usize| rows[r][c] == "<5";
    let last = rows.len() - 1;
    if rows.len() > 1 {
        for c in 0..10 {
            let n = (0..rows.len()).filter(|&r| hidden(r, c)).count();
            assert_ne!(n, 1, "column {c} has one hidden cell: {rows:?}");
        }
    }
    for r in 0..=last {
        let n = [1, 3, 4, 5, 6].iter().filter(|&&c| hidden(r, c)).count();
        assert_ne!(
            n, 1,
            "row {r} has one hidden cell among its consents: {rows:?}"
        );
    }
    for row in rows {
        for field in &row[..10] {
            if let Ok(n) = field.parse::<u32>() {
                assert!(n == 0 || n >= 5, "{n} shown: {row:?}");
            }
        }
    }
}

#[test]
fn the_export_for_outside_the_team_hides_small_counts_and_what_gives_them_away() {
    let report = sample();
    let open = csv_rows(&report, &plain());
    assert!(open.iter().flatten().all(|f| f != "<5"));

    let rows = csv_rows(&report, &suppressed());
    let summary: Vec<Vec<String>> = rows[1..=4].iter().map(|r| r[3..13].to_vec()).collect();
    no_sum_gives_a_hidden_cell_away(&summary);
    // De Kempen, written out by hand: 5 explained, 5 consented (3 sent, 1 failed, 1 withdrawn
    // before), 2 refused. The small ones are hidden; the 5 explained stay (nothing in that
    // column is hidden), and so do the zeros of the last three columns.
    let kempen = &rows[2][3..13];
    assert_eq!(kempen[0], "5");
    for i in [2, 3, 5, 6] {
        assert_eq!(kempen[i], "<5", "{kempen:?}");
    }
    assert_eq!(kempen[7..], ["0", "0", "0"]);
    // Its median rests on 3 referrals: hidden. Écaussinnes' 5 sent are hidden too (with De
    // Kempen's 3 alone hidden, the column's total would give them away), and its median with
    // them.
    assert_eq!(rows[2][13], "<5");
    assert_eq!(rows[3][6], "<5");
    assert_eq!(rows[3][13], "<5");
    // The total's incidents (1) are hidden; so is one more incident cell of the column, else
    // the total and the others would give it away.
    assert_eq!(rows[4][12], "<5");
    assert_eq!(rows[1][12], "<5");
    // No months: per month nearly every count is small. The note and the legend are there.
    assert!(!rows.iter().any(|r| r.get(1).is_some_and(|f| f == "Maand")));
    assert!(
        rows.iter()
            .any(|r| r[0] == "<5" && r[1].contains("buiten het team"))
    );
    assert!(rows.iter().any(|r| r[0] == "Legende"));
}

/// A small deterministic generator, so a failing case can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(below)) as u32
    }
}

#[test]
fn over_generated_tables_no_row_or_column_sum_gives_a_hidden_count_away() {
    for seed in 0..300 {
        let mut rng = Lcg(seed);
        let partners: Vec<[u32; COUNTS]> = (0..rng.next(5) + 1)
            .map(|_| {
                let mut row = [0; COUNTS];
                for (i, cell) in row.iter_mut().enumerate() {
                    if i != 1 {
                        *cell = match rng.next(4) {
                            0 => 0,
                            1 => rng.next(5),
                            _ => rng.next(30),
                        };
                    }
                }
                row[1] = row[3] + row[4] + row[5] + row[6];
                row
            })
            .collect();
        let mut total = [0; COUNTS];
        for row in &partners {
            for (t, v) in total.iter_mut().zip(row) {
                *t += v;
            }
        }
        let values: Vec<[u32; COUNTS]> = partners.into_iter().chain([total]).collect();
        let hidden = hidden_cells(&values);
        let shown: Vec<Vec<String>> = values
            .iter()
            .zip(&hidden)
            .map(|(row, h)| {
                row.iter()
                    .zip(h)
                    .map(|(v, &h)| if h { "<5".into() } else { v.to_string() })
                    .collect()
            })
            .collect();
        no_sum_gives_a_hidden_cell_away(&shown);
    }
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
            "CPAS d'Écaussinnes",
            "Legende"
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
        for (col, n) in (1..).zip(ten(counts)) {
            assert_eq!(
                number(summary.get_value((row, col))),
                f64::from(n),
                "{name} col {col}"
            );
        }
    }
    // Medians as numbers: 2, 4, 2; the total's 30 referrals sorted
    // 0000 11111 2222222222 333333 4 66 9 10: the 15th and 16th are 2 and 2.
    assert_eq!(number(summary.get_value((5, 11))), 2.0);
    assert_eq!(number(summary.get_value((6, 11))), 4.0);
    assert_eq!(number(summary.get_value((8, 11))), 2.0);

    for (sheet, partner) in book.sheet_names()[1..4]
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
            for (col, n) in (1..).zip(ten(&month.counts)) {
                assert_eq!(number(range.get_value((row, col))), f64::from(n));
            }
        }
        assert_eq!(text(range.get_value((17, 0))), "Totaal");
        for (col, n) in (1..).zip(ten(&partner.total)) {
            assert_eq!(number(range.get_value((17, col))), f64::from(n));
        }
    }
    // De Kempen in February: 4 and 9 days, a median of 6.5 as a number.
    let kempen = book
        .worksheet_range("OCMW \"De Kempen\"; regio Zuid")
        .unwrap();
    assert_eq!(number(kempen.get_value((6, 11))), 6.5);
    // A month without sends has an empty median cell.
    assert!(matches!(
        kempen.get_value((4 + 12, 11)),
        None | Some(Data::Empty)
    ));
    // The legend: each column's label with what it counts.
    let legend = book.worksheet_range("Legende").unwrap();
    for (row, header) in (2..).zip(HEADERS) {
        assert_eq!(text(legend.get_value((row, 0))), header);
        assert!(!text(legend.get_value((row, 1))).is_empty());
    }
}

#[test]
fn suppressed_cells_in_the_workbook_are_the_text_less_than_five() {
    let report = sample();
    let mut book = book(xlsx(&report, &suppressed()).unwrap());
    assert_eq!(book.sheet_names(), ["Overzicht", "Legende"], "no months");
    let summary = book.worksheet_range("Overzicht").unwrap();
    assert!(text(summary.get_value((2, 0))).contains("vervangen door <5"));
    // De Kempen: 5 explained stays a number, 2 refused becomes text, 0 waiting stays 0.
    assert_eq!(number(summary.get_value((6, 1))), 5.0);
    assert_eq!(text(summary.get_value((6, 3))), "<5");
    assert_eq!(number(summary.get_value((6, 5))), 0.0);
    assert_eq!(text(summary.get_value((6, 11))), "<5");
    // The total: 1 incident in all becomes "<5"; 38 explained stays.
    assert_eq!(number(summary.get_value((8, 1))), 38.0);
    assert_eq!(text(summary.get_value((8, 10))), "<5");

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
    assert_eq!(names.len(), 6, "Overzicht, four partners and the legend");
    let mut lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    lower.sort();
    lower.dedup();
    assert_eq!(lower.len(), 6, "{names:?}");
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
fn the_pdf_prints_the_names_totals_chart_and_legend() {
    let report = sample();
    let text = pdf_text(&pdf(&report, &plain()).unwrap(), "report-summary");
    for expected in [
        "Lokaal team Westerlo",
        "01/01/2025 – 31/12/2025",
        "OCMW Westerlo",
        "OCMW \"De Kempen\"; regio Zuid",
        "CPAS d'Écaussinnes",
        "Per maand, alle partners samen",
        "Verzonden",
        "Legende",
        "Pagina 1 van",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    // The total row with its figures, as pdftotext lays them out on one line.
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Totaal"))
        .unwrap();
    let figures: Vec<&str> = total.split_whitespace().skip(1).collect();
    let mut expected: Vec<String> = ten(&report.total).iter().map(u32::to_string).collect();
    expected.push("2".into());
    assert_eq!(figures, expected);
    // Month labels under the chart.
    for month in ["jan", "jun", "dec", "2025"] {
        assert!(text.contains(month), "{month}");
    }
    assert!(!text.contains("<5"));
}

#[test]
fn the_pdf_is_tagged_with_a_real_table_and_a_described_chart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evaluatie.pdf");
    std::fs::write(&path, pdf(&sample(), &plain()).unwrap()).unwrap();
    let info = poppler::tool("pdfinfo", &[path.to_str().unwrap()], dir.path());
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let tagged = info
        .lines()
        .find(|l| l.starts_with("Tagged:"))
        .unwrap_or_default();
    assert!(tagged.ends_with("yes"), "{info}");
    let structure = poppler::tool("pdfinfo", &["-struct", path.to_str().unwrap()], dir.path());
    let structure = String::from_utf8_lossy(&structure.stdout).to_string();
    for element in [
        "Table", "THead", "TBody", "TFoot", "TR", "TH", "TD", "Figure", "H1", "H2",
    ] {
        assert!(
            structure
                .lines()
                .any(|l| l.trim_start().starts_with(element)),
            "{element} missing in:\n{structure}"
        );
    }
}

#[test]
fn the_pdf_for_outside_the_team_hides_small_counts_and_has_no_chart() {
    let text = pdf_text(&pdf(&sample(), &suppressed()).unwrap(), "report-suppressed");
    assert!(text.contains("vervangen door <5"));
    assert!(!text.contains("Per maand, alle partners samen"));
    let kempen = text.lines().find(|l| l.contains("De Kempen")).unwrap();
    let figures: Vec<&str> = kempen.split_whitespace().rev().take(11).collect();
    // From the right: the median hidden, no incidents, corrections or later withdrawals.
    assert_eq!(figures[..4], ["<5", "0", "0", "0"]);
}

#[test]
fn many_partners_continue_on_numbered_pages() {
    let partners: Vec<PartnerCounts> = (1..=70)
        .map(|i| {
            partner(
                &format!("OCMW Gemeente {i:02}"),
                &[(i % 12 + 1, counts(i, 0, 0, 0, 0, 0, 0, 0, &[(2, i)]))],
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
            counts: counts(0, 0, i, 0, 0, 0, 0, 0, &[]),
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
    let legend: String = crate::report::legend()
        .into_iter()
        .map(|e| e.label + &e.explanation)
        .collect();
    let fixed: String =
        pdf::print_headers().concat() + SUPPRESSED_NOTE + &legend + "…–<5 Pagina van Legende";
    for font in [
        crate::package::document::REGULAR,
        crate::package::document::BOLD,
    ] {
        let face = rustybuzz::Face::from_slice(font, 0).unwrap();
        for c in fixed.chars().filter(|c| !c.is_whitespace()) {
            assert!(face.glyph_index(c).is_some(), "{c}");
        }
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
    assert!(text.contains("Evaluatie aanmeldingen"));
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
    assert_eq!(*files[0].bytes, csv(&report, &plain()));
    assert!(files[1].bytes.starts_with(b"PK"));
    assert!(files[2].bytes.starts_with(b"%PDF"));

    // For outside the team, the name says so.
    let extern_ = file(&report, ExportFormat::Pdf, &suppressed()).unwrap();
    assert_eq!(extern_.file_name, "evaluatie-2025-extern.pdf");

    report.period.to = day(2025, 6, 30);
    let half = file(&report, ExportFormat::Csv, &plain()).unwrap();
    assert_eq!(half.file_name, "evaluatie-2025-1e-helft.csv");
    report.period.to = day(2025, 5, 31);
    let other = file(&report, ExportFormat::Xlsx, &suppressed()).unwrap();
    assert_eq!(
        other.file_name,
        "evaluatie-2025-01-01-2025-05-31-extern.xlsx"
    );
}
