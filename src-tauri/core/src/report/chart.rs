//! The evaluation's chart, defined once for the screen and the PDF: which series, in which order
//! and colour, the axis and its ticks, and the text that says the same in words.
//!
//! The colours are from Okabe and Ito's palette for colour-blind readers, chosen so that they are
//! also three clearly different greys when printed in black and white (dark, middle, light); every
//! bar has a dark outline, so even the light one stands out against the white page (WCAG 1.4.11).
//! Ticks are whole numbers: there is no half a consent.

use serde::Serialize;
use ts_rs::TS;

use super::{CountKey, MonthCounts};

/// One series: a column of the table, drawn as one bar per month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChartSeries {
    pub key: CountKey,
    pub label: String,
    /// `#rrggbb`.
    pub colour: String,
}

/// One month's bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChartMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// "jan", "feb", …
    pub label: String,
    pub year: i32,
    /// In the order of the series.
    pub values: Vec<u32>,
}

/// The chart of a report's months, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Chart {
    pub title: String,
    pub series: Vec<ChartSeries>,
    pub months: Vec<ChartMonth>,
    /// The axis runs from 0 to the last tick.
    pub ticks: Vec<u32>,
    /// The chart in words: its text alternative on the screen and in the PDF.
    pub summary: String,
}

/// The outline of every bar, and the colour of the axis text.
pub const OUTLINE: &str = "#1b1f23";

/// The series, in the order they are drawn and listed. Dark blue, near-black grey and orange:
/// three greys of about 25 %, 45 % and 70 % lightness in print.
const SERIES: [(CountKey, &str); 3] = [
    (CountKey::Consented, "#0072b2"),
    (CountKey::Refused, "#3d4a52"),
    (CountKey::Sent, "#e69f00"),
];

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];

/// Whole-number ticks from 0 that cover `max`: steps of 1, 2 or 5 times a power of ten, at
/// most about five of them.
pub fn ticks(max: u32) -> Vec<u32> {
    let max = max.max(1);
    let mut magnitude = 1u32;
    let step = loop {
        if let Some(step) = [1, 2, 5]
            .iter()
            .map(|f| f * magnitude)
            .find(|step| max.div_ceil(*step) <= 5)
        {
            break step;
        }
        magnitude = magnitude.saturating_mul(10);
    };
    (0..=max.div_ceil(step)).map(|i| i * step).collect()
}

impl Chart {
    /// The chart of `months`, all partners together.
    pub fn of(months: &[MonthCounts]) -> Self {
        let series: Vec<ChartSeries> = SERIES
            .iter()
            .map(|&(key, colour)| ChartSeries {
                key,
                label: key.label().to_owned(),
                colour: colour.to_owned(),
            })
            .collect();
        let months: Vec<ChartMonth> = months
            .iter()
            .map(|m| {
                let (year, number) = m
                    .month
                    .split_once('-')
                    .and_then(|(y, n)| Some((y.parse().ok()?, n.parse::<usize>().ok()?)))
                    .unwrap_or((0, 0));
                ChartMonth {
                    month: m.month.clone(),
                    label: MONTH_NAMES
                        .get(number.wrapping_sub(1))
                        .map_or_else(|| m.month.clone(), |n| (*n).to_owned()),
                    year,
                    values: SERIES.iter().map(|&(key, _)| m.counts.get(key)).collect(),
                }
            })
            .collect();
        let max = months
            .iter()
            .flat_map(|m| m.values.iter().copied())
            .max()
            .unwrap_or(0);
        let summary = summary(&series, &months);
        Self {
            title: "Per maand, alle partners samen".to_owned(),
            series,
            months,
            ticks: ticks(max),
            summary,
        }
    }
}

/// "mrt 2026: 3 toestemmingen, 1 weigering, 2 verzonden; …", only the months with something.
fn summary(series: &[ChartSeries], months: &[ChartMonth]) -> String {
    let busy: Vec<String> = months
        .iter()
        .filter(|m| m.values.iter().any(|&v| v > 0))
        .map(|m| {
            let values: Vec<String> = series
                .iter()
                .zip(&m.values)
                .map(|(s, v)| format!("{} {v}", s.label.to_lowercase()))
                .collect();
            format!("{} {}: {}", m.label, m.year, values.join(", "))
        })
        .collect();
    if busy.is_empty() {
        "Geen toestemmingen, weigeringen of verzendingen in deze periode.".to_owned()
    } else {
        format!("Per maand: {}.", busy.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_whole_numbers_that_cover_the_highest_bar() {
        assert_eq!(ticks(0), [0, 1]);
        assert_eq!(ticks(1), [0, 1]);
        assert_eq!(ticks(5), [0, 1, 2, 3, 4, 5]);
        assert_eq!(ticks(7), [0, 2, 4, 6, 8]);
        assert_eq!(ticks(10), [0, 2, 4, 6, 8, 10]);
        assert_eq!(ticks(23), [0, 5, 10, 15, 20, 25]);
        assert_eq!(ticks(480), [0, 100, 200, 300, 400, 500]);
        for max in 0..2000 {
            let t = ticks(max);
            assert!(*t.last().unwrap() >= max && t.len() <= 6, "{max}: {t:?}");
        }
    }

    /// WCAG's relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    #[test]
    fn the_series_stay_apart_in_greyscale_and_the_outline_stands_out() {
        let mut lum: Vec<f64> = SERIES.iter().map(|(_, c)| luminance(c)).collect();
        lum.sort_by(f64::total_cmp);
        // Contrast ratio between neighbouring greys: distinct in print.
        for pair in lum.windows(2) {
            assert!((pair[1] + 0.05) / (pair[0] + 0.05) > 1.6, "{lum:?}");
        }
        // The outline against white, and against the lightest bar: at least 3:1.
        let outline = luminance(OUTLINE);
        assert!(1.05 / (outline + 0.05) >= 3.0);
        assert!((lum[2] + 0.05) / (outline + 0.05) >= 3.0);
    }
}
