//! Dates, times and timestamps as `Values` reads and writes them: Java's `SimpleDateFormat`
//! with Kafka Connect's ISO 8601 patterns (`yyyy-MM-dd`, `HH:mm:ss.SSS'Z'` and
//! `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`), lenient as it is by default, in UTC, over Java's
//! [`calendar`](crate::java::calendar).

use crate::data::Value;
use crate::data::logical::{MILLIS_PER_DAY, Temporal};
use crate::java::calendar::{CalendarBuilder, CalendarFields, Field};
use crate::java::number::parse_format_integer;

/// One element of a pattern.
#[derive(Clone, Copy, Debug)]
enum Part {
    /// A number setting a calendar field.
    Number(Field),
    /// A character that must be there.
    Literal(char),
}

use Part::{Literal, Number};

/// `yyyy-MM-dd`.
const DATE_PARTS: &[Part] = &[
    Number(Field::Year),
    Literal('-'),
    Number(Field::Month),
    Literal('-'),
    Number(Field::DayOfMonth),
];
/// `'T'` between a timestamp's date and time.
const DATE_TIME_SEPARATOR: &[Part] = &[Literal('T')];
/// `HH:mm:ss.SSS'Z'`.
const TIME_PARTS: &[Part] = &[
    Number(Field::HourOfDay),
    Literal(':'),
    Number(Field::Minute),
    Literal(':'),
    Number(Field::Second),
    Literal('.'),
    Number(Field::Millisecond),
    Literal('Z'),
];

/// The type whose pattern a text of this length (in UTF-16 units, Java's `String.length`) may be
/// in: `Values` tries a pattern only on a text of its length.
pub(super) fn for_length(length: usize) -> Option<Temporal> {
    match length {
        10 => Some(Temporal::Date),
        13 => Some(Temporal::Time),
        24 => Some(Temporal::Timestamp),
        _ => None,
    }
}

/// A number as a value of a type, as `Date.toLogical` (days, cast to an int), `Time.toLogical`
/// (milliseconds, cast to an int, within a day) and `Timestamp.toLogical`.
pub(super) fn value_of_count(temporal: Temporal, count: i64) -> Option<Value> {
    match temporal {
        Temporal::Date => Some(Value::Int32(count as i32)),
        Temporal::Time => {
            let millis = count as i32;
            (0..=MILLIS_PER_DAY as i32)
                .contains(&millis)
                .then_some(Value::Int32(millis))
        }
        Temporal::Timestamp => Some(Value::Int64(count)),
    }
}

/// Reads `text` in a type's pattern as `SimpleDateFormat.parse(text, position)`: leniently
/// (fields may overflow into the next), a number after spaces and tabs, ignoring what follows the
/// pattern. The milliseconds since the epoch, or `None` if the text does not match.
pub(super) fn parse(temporal: Temporal, text: &str) -> Option<i64> {
    let (date, time): (&[Part], &[Part]) = match temporal {
        Temporal::Date => (DATE_PARTS, &[]),
        Temporal::Time => (&[], TIME_PARTS),
        Temporal::Timestamp => (DATE_PARTS, TIME_PARTS),
    };
    let separator = if temporal == Temporal::Timestamp {
        DATE_TIME_SEPARATOR
    } else {
        &[]
    };
    let text: Vec<char> = text.chars().collect();
    let mut at = 0;
    let mut fields = CalendarBuilder::default();
    for part in date.iter().chain(separator).chain(time) {
        match *part {
            Literal(expected) => {
                if text.get(at) != Some(&expected) {
                    return None;
                }
                at += 1;
            }
            Number(field) => {
                while matches!(text.get(at), Some(' ' | '\t')) {
                    at += 1;
                }
                let (value, next) = parse_format_integer(&text, at)?;
                at = next;
                // `MM` is one-based, `Calendar.MONTH` zero-based.
                fields.set(
                    field,
                    if field == Field::Month {
                        value.wrapping_sub(1)
                    } else {
                        value
                    },
                );
            }
        }
    }
    fields.resolve()
}

/// An instant as `Values.dateFormatFor` formats it, which chooses the pattern by the value, not
/// the schema: before the end of 1970-01-01 (so any negative instant) as a time, at a midnight
/// as a date, otherwise as a timestamp.
pub(super) fn format(millis: i64) -> String {
    let fields = CalendarFields::at(millis);
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        fields.hour, fields.minute, fields.second, fields.millisecond
    );
    if millis < MILLIS_PER_DAY {
        return time;
    }
    let date = format!(
        "{:04}-{:02}-{:02}",
        fields.year_of_era(),
        fields.month + 1,
        fields.day_of_month
    );
    if millis % MILLIS_PER_DAY == 0 {
        date
    } else {
        format!("{date}T{time}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<i64> {
        parse(Temporal::Date, text)
    }

    #[test]
    fn dates_read_as_a_lenient_simple_date_format_reads_them() {
        assert_eq!(date("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(date("2024-13-45"), Some(1_739_491_200_000));
        assert_eq!(date("0000-01-01"), Some(-62_167_392_000_000));
        assert_eq!(date("-024-01-01"), Some(-62_924_774_400_000));
        assert_eq!(date("10E3-01-01"), Some(253_402_300_800_000));
        assert_eq!(date("20240-1-01"), Some(576_545_472_000_000));
        assert_eq!(date("2024-01- 1"), Some(1_704_067_200_000));
        assert_eq!(date("2024-01-1E"), Some(1_704_067_200_000));
        assert_eq!(date("٢٠٢٤-٠١-٠١"), Some(1_704_067_200_000));
        assert_eq!(date("2024+01-01"), None);
        assert_eq!(parse(Temporal::Time, " 1:00:00.000Z"), Some(3_600_000));
        assert_eq!(parse(Temporal::Time, "1:00:00.0005Z"), Some(3_600_005));
        assert_eq!(parse(Temporal::Time, "99:00:00.000Z"), Some(356_400_000));
        assert_eq!(
            parse(Temporal::Timestamp, "2024-01-01T-1:00:00.000Z"),
            Some(1_704_063_600_000)
        );
    }

    #[test]
    fn instants_format_by_their_value() {
        assert_eq!(format(1_704_067_200_000), "2024-01-01");
        assert_eq!(format(1_704_103_200_000), "2024-01-01T10:00:00.000Z");
        assert_eq!(format(1_704_164_645_678), "2024-01-02T03:04:05.678Z");
        assert_eq!(format(43_200_123), "12:00:00.123Z");
        assert_eq!(format(0), "00:00:00.000Z");
        assert_eq!(format(-86_400_000), "00:00:00.000Z");
        assert_eq!(format(-1), "23:59:59.999Z");
        assert_eq!(format(-1500), "23:59:58.500Z");
        assert_eq!(format(86_400_000), "1970-01-02");
        // Before the epoch, `Values` writes even a date as a time of day.
        assert_eq!(format(date("1000-02-29").unwrap_or_default()), "00:00:00.000Z");
    }
}
