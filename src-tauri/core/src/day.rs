//! Dates as a worker types them, and as the screens and messages write them.
//!
//! The forms take dates in a text field, not `<input type="date">`: WebKitGTK's date input
//! follows the process locale, so under `C` it reads mm/dd/yyyy and turned a typed 18/12/2023
//! silently into 12/12/2023. This one parser reads dd/mm/jjjj as Belgian forms write it (with
//! `-` or `.` too), and `YYYY-MM-DD` for values the app wrote itself. A two-digit year is
//! refused rather than guessed, and so is a year no form of ours can mean (`0024`, a typo for
//! 2024, would make a protocol that ended two thousand years ago).

use chrono::NaiveDate;

/// The day in `text`, or `None` if it is not one.
pub fn parse(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['/', '-', '.']).map(str::trim).collect();
    let (d, m, y) = match parts.as_slice() {
        // `YYYY-MM-DD`, as the app writes dates itself.
        [y, m, d] if y.len() == 4 && text.len() == 10 && text.split('-').count() == 3 => {
            (*d, *m, *y)
        }
        [d, m, y] if y.len() == 4 => (*d, *m, *y),
        _ => return None,
    };
    // Digits only: Rust's integer parser would take `+023` as a year.
    let number = |part: &str, most: usize| {
        (!part.is_empty() && part.len() <= most && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    let year = i32::try_from(number(y, 4)?).ok()?;
    if !(1900..=2199).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, number(m, 2)?, number(d, 2)?)
}

/// `dd/mm/jjjj`, as on the screens and in messages.
pub fn text(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn belgian_and_iso_dates_read_and_nothing_is_guessed() {
        let d = NaiveDate::from_ymd_opt(2023, 12, 18).unwrap();
        for typed in ["18/12/2023", " 18-12-2023 ", "18.12.2023", "2023-12-18"] {
            assert_eq!(parse(typed), Some(d), "{typed}");
        }
        assert_eq!(parse("1/1/2024"), NaiveDate::from_ymd_opt(2024, 1, 1));
        for bad in [
            "12/18/2023",
            "18/12/23",
            "31/02/2024",
            "",
            "gisteren",
            "2023-12-1x",
            "2023/12/18",
            "18/12/+023",
            "+1/12/2023",
            "01/01/0024",
            "0024-01-01",
            "18/12/20234",
            "2023-12-18-",
            "2023.12-18",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(text(d), "18/12/2023");
    }
}
