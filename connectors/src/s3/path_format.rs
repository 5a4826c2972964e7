//! `path.format`: the date pattern of time-based partitions, in the Joda/Java syntax Confluent's
//! users write (`'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`).

use chrono::{DateTime, Datelike, TimeZone, Timelike};

/// A piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// Text copied as is (quoted, or a character that is not a letter).
    Literal(String),
    /// A date field: its letter and how many times it was repeated.
    Field(char, usize),
}

/// A parsed date pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathFormat {
    tokens: Vec<Token>,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl PathFormat {
    /// Parses a pattern; the error names what is not understood.
    pub fn parse(pattern: &str) -> Result<PathFormat, String> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => text.push(other),
                        None => return Err(format!("unterminated quote in {pattern:?}")),
                    }
                }
                // '' outside a quoted text is a quote.
                tokens.push(Token::Literal(if text.is_empty() { "'".into() } else { text }));
            } else if c.is_ascii_alphabetic() {
                if !"yYMdHmsDE".contains(c) {
                    return Err(format!(
                        "pattern letter {c:?} in {pattern:?} is not supported (use y, Y, M, d, D, E, H, m, s)"
                    ));
                }
                let mut count = 1;
                while chars.peek() == Some(&c) {
                    chars.next();
                    count += 1;
                }
                tokens.push(Token::Field(c, count));
            } else {
                tokens.push(Token::Literal(c.to_string()));
            }
        }
        Ok(PathFormat { tokens })
    }

    /// Formats a moment.
    pub fn format<Tz: TimeZone>(&self, at: &DateTime<Tz>) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Literal(text) => out.push_str(text),
                Token::Field(letter, count) => {
                    let number = |n: i64| format!("{n:0width$}", width = *count);
                    let text = match letter {
                        'y' | 'Y' if *count == 2 => format!("{:02}", at.year().rem_euclid(100)),
                        'y' | 'Y' => number(i64::from(at.year())),
                        'M' if *count >= 4 => MONTHS[at.month0() as usize].to_owned(),
                        'M' if *count == 3 => MONTHS[at.month0() as usize][..3].to_owned(),
                        'M' => number(i64::from(at.month())),
                        'd' => number(i64::from(at.day())),
                        'D' => number(i64::from(at.ordinal())),
                        'E' => {
                            let day = DAYS[at.weekday().num_days_from_monday() as usize];
                            if *count >= 4 {
                                day.to_owned()
                            } else {
                                day[..3].to_owned()
                            }
                        }
                        'H' => number(i64::from(at.hour())),
                        'm' => number(i64::from(at.minute())),
                        _ => number(i64::from(at.second())),
                    };
                    out.push_str(&text);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn formats_confluents_hourly_pattern() {
        let format = PathFormat::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").expect("parse");
        let at = Utc.with_ymd_and_hms(2026, 3, 7, 5, 9, 1).single().expect("date");
        assert_eq!(format.format(&at), "year=2026/month=03/day=07/hour=05");
    }

    #[test]
    fn names_quotes_and_short_years() {
        let format = PathFormat::parse("yy-MMM-d EEE 'it''s' ''").expect("parse");
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).single().expect("date");
        assert_eq!(format.format(&at), "26-Nov-22 Sun it's '");
    }

    #[test]
    fn unknown_letters_and_open_quotes_are_refused() {
        assert!(PathFormat::parse("yyyy/ww").unwrap_err().contains("'w'"));
        assert!(PathFormat::parse("'year=yyyy").unwrap_err().contains("unterminated"));
    }
}
