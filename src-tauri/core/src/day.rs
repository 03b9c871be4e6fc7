//! Dates as a worker types them, and as the screens and messages write them.
//!
//! The forms take dates in a text field, not `<input type="date">`: WebKitGTK's date input
//! follows the process locale, so under `C` it reads mm/dd/yyyy and turned a typed 18/12/2023
//! silently into 12/12/2023. This one parser reads dd/mm/jjjj as Belgian forms write it (with
//! `-` or `.` too), and `YYYY-MM-DD` for values the app wrote itself. A two-digit year is
//! refused rather than guessed.

use chrono::NaiveDate;

/// The day in `text`, or `None` if it is not one.
pub fn parse(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && text.len() == 10
    {
        return Some(day);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).map(str::trim).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || d.is_empty() || d.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
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
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(text(d), "18/12/2023");
    }
}
