//! Dates, times, timestamps and intervals: PostgreSQL's text output (`DateStyle=ISO`,
//! `IntervalStyle=iso_8601`, `TimeZone=UTC`) read, and written in the ISO-8601 forms Debezium
//! writes (Java's `DateTimeFormatter` ones).

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A date or timestamp, or one of PostgreSQL's infinities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instant<T> {
    /// A finite value.
    At(T),
    /// `infinity`.
    Infinity,
    /// `-infinity`.
    NegInfinity,
}

/// Days from 1970-01-01 to a proleptic Gregorian date (year 0 is 1 BC).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Splits off a trailing ` BC`.
fn era(text: &str) -> (&str, bool) {
    match text.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (text, false),
    }
}

/// `YYYY-MM-DD` to days since the epoch; `bc` counts the year before year 1 as 1 BC.
fn date_days(date: &str, bc: bool) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    Some(days_from_civil(if bc { 1 - year } else { year }, month, day))
}

/// A `date`'s text: days since the epoch.
pub fn parse_date(text: &str) -> Option<Instant<i64>> {
    match text {
        "infinity" => Some(Instant::Infinity),
        "-infinity" => Some(Instant::NegInfinity),
        _ => {
            let (date, bc) = era(text);
            date_days(date, bc).map(Instant::At)
        }
    }
}

/// `HH:MM:SS[.ffffff]` to microseconds since midnight (`24:00:00` is a whole day).
pub fn parse_time(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, ':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let (whole, fraction) = split_seconds(parts.next()?)?;
    Some(((hours * 60 + minutes) * 60 + whole) * 1_000_000 + fraction)
}

/// `SS[.ffffff]` to whole seconds and microseconds.
fn split_seconds(seconds: &str) -> Option<(i64, i64)> {
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    if fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((whole.parse().ok()?, format!("{fraction:0<6}").parse().ok()?))
}

/// An offset `±HH[:MM[:SS]]` in seconds.
fn parse_offset(offset: &str) -> Option<i64> {
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let mut parts = offset[1..].split(':').map(|p| p.parse::<i64>());
    let h = parts.next()?.ok()?;
    let m = parts.next().transpose().ok()?.unwrap_or(0);
    let s = parts.next().transpose().ok()?.unwrap_or(0);
    Some(sign * (h * 3600 + m * 60 + s))
}

/// A `timestamp` or `timestamptz` text: microseconds since the epoch in UTC (the offset, if
/// any, applied).
pub fn parse_timestamp(text: &str) -> Option<Instant<i64>> {
    match text {
        "infinity" => return Some(Instant::Infinity),
        "-infinity" => return Some(Instant::NegInfinity),
        _ => {}
    }
    let (text, bc) = era(text);
    let (date, rest) = text.split_once(' ')?;
    let split = rest.find(['+', '-']).unwrap_or(rest.len());
    let (time, offset) = rest.split_at(split);
    let offset = if offset.is_empty() { 0 } else { parse_offset(offset)? };
    let micros = date_days(date, bc)?
        .checked_mul(MICROS_PER_DAY)?
        .checked_add(parse_time(time)?)?
        .checked_sub(offset * 1_000_000)?;
    Some(Instant::At(micros))
}

/// A `timetz` text: microseconds since midnight UTC, wrapped into the day, as Debezium shifts
/// it (`24:00:00+00` stays a whole day).
pub fn parse_time_tz(text: &str) -> Option<i64> {
    let split = text.rfind(['+', '-'])?;
    let (time, offset) = text.split_at(split);
    let local = parse_time(time)?;
    let offset = parse_offset(offset)?;
    if local == MICROS_PER_DAY && offset == 0 {
        return Some(MICROS_PER_DAY);
    }
    Some((local - offset * 1_000_000).rem_euclid(MICROS_PER_DAY))
}

/// A year as Java's ISO formatters write it: four digits at least, a sign when negative or
/// longer than four digits.
fn year(y: i64) -> String {
    match y {
        0..=9999 => format!("{y:04}"),
        y if y < 0 => format!("-{:04}", -y),
        y => format!("+{y}"),
    }
}

/// Days since the epoch as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{}-{m:02}-{d:02}", year(y))
}

/// A fraction of a second: `width` digits, or (`None`) as few as needed, none for zero.
fn fraction(micros: i64, width: Option<u32>) -> String {
    let digits = format!("{:06}000", micros);
    match width {
        Some(w) if (1..=9).contains(&w) => format!(".{}", &digits[..w as usize]),
        _ if micros == 0 => String::new(),
        _ => format!(".{}", digits.trim_end_matches('0')),
    }
}

/// Microseconds since midnight as `HH:MM:SS[.f]` (seconds always written).
pub fn format_time(micros: i64, width: Option<u32>) -> String {
    let secs = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}{}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        fraction(micros % 1_000_000, width)
    )
}

/// Microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS[.f]Z`.
pub fn format_timestamp(micros: i64, width: Option<u32>) -> String {
    let (days, of_day) = (micros.div_euclid(MICROS_PER_DAY), micros.rem_euclid(MICROS_PER_DAY));
    format!("{}T{}Z", format_date(days), format_time(of_day, width))
}

/// Debezium's encodings of PostgreSQL's infinities, as Debezium 3.7 writes them when streaming.
pub mod infinity {
    /// `date` (days): `+5877611-06-21` and `-5877611-06-22`.
    pub const DATE: (i64, i64) = (2_146_033_979, -2_147_472_691);
    /// Millisecond timestamps: pgjdbc's `DATE_POSITIVE_INFINITY` and `DATE_NEGATIVE_INFINITY`.
    pub const MILLIS: (i64, i64) = (9_223_372_036_825_200_000, -9_223_372_036_832_400_000);
    /// Micro- and nanosecond timestamps: saturated.
    pub const SATURATED: (i64, i64) = (i64::MAX, i64::MIN);
    /// `IsoTimestamp`: the millisecond constants as instants.
    pub const ISO_TIMESTAMP: (&str, &str) = ("+292278994-08-16T23:00:00Z", "-292275055-05-16T23:00:00Z");
    /// `ZonedTimestamp`.
    pub const ZONED: (&str, &str) = ("infinity", "-infinity");
}

/// An interval's fields as pgjdbc's `PGInterval` holds them (from which Debezium computes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IntervalParts {
    /// Years.
    pub years: i64,
    /// Months (besides the years).
    pub months: i64,
    /// Days.
    pub days: i64,
    /// Hours.
    pub hours: i64,
    /// Minutes.
    pub minutes: i64,
    /// Whole seconds.
    pub seconds: i64,
    /// Microseconds (besides the whole seconds; same sign).
    pub micros: i64,
}

/// An ISO-8601 interval (`P1Y2M3DT4H5M6.5S`, components may be negative; `PT0S`).
pub fn parse_interval(text: &str) -> Option<IntervalParts> {
    let body = text.strip_prefix('P')?;
    let (date, time) = body.split_once('T').unwrap_or((body, ""));
    let mut parts = IntervalParts::default();
    for (part, is_time) in [(date, false), (time, true)] {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '-' || c == '.' {
                number.push(c);
                continue;
            }
            let whole = || number.parse::<i64>().ok();
            match (c, is_time) {
                ('Y', false) => parts.years = whole()?,
                ('M', false) => parts.months = whole()?,
                ('D', false) => parts.days = whole()?,
                ('H', true) => parts.hours = whole()?,
                ('M', true) => parts.minutes = whole()?,
                ('S', true) => {
                    let negative = number.starts_with('-');
                    let (s, us) = split_seconds(number.trim_start_matches('-'))?;
                    let sign = if negative { -1 } else { 1 };
                    (parts.seconds, parts.micros) = (sign * s, sign * us);
                }
                _ => return None,
            }
            number.clear();
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(parts)
}

impl IntervalParts {
    /// The seconds as pgjdbc's `getSeconds()`: a double.
    fn seconds_f64(&self) -> f64 {
        self.seconds as f64 + self.micros as f64 / 1_000_000.0
    }

    /// Microseconds as Debezium's `MicroDuration` computes them: a month of 365.25 / 12 days,
    /// in floating point, truncated.
    pub fn micros(&self) -> i64 {
        let days_per_month = 365.25 / 12.0;
        let days = (self.years * 12 + self.months) as f64 * days_per_month + self.days as f64;
        let seconds = (((days * 24.0 + self.hours as f64) * 60.0) + self.minutes as f64) * 60.0 + self.seconds_f64();
        (seconds * 1e6) as i64
    }

    /// Debezium's `io.debezium.time.Interval` text: every component, each with its sign.
    pub fn iso(&self) -> String {
        let seconds = self.seconds_f64().to_string();
        let seconds = match seconds.split_once('.') {
            Some((whole, fraction)) => {
                let fraction = fraction.get(..9).unwrap_or(fraction).trim_end_matches('0');
                if fraction.is_empty() {
                    whole.to_owned()
                } else {
                    format!("{whole}.{fraction}")
                }
            }
            None => seconds,
        };
        let seconds = if seconds == "-0" { "0".to_owned() } else { seconds };
        format!(
            "P{}Y{}M{}DT{}H{}M{seconds}S",
            self.years, self.months, self.days, self.hours, self.minutes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_their_infinities() {
        assert_eq!(parse_date("1970-01-02"), Some(Instant::At(1)));
        assert_eq!(parse_date("2024-02-29"), Some(Instant::At(19782)));
        assert_eq!(parse_date("1969-12-31"), Some(Instant::At(-1)));
        assert_eq!(parse_date("0044-03-15 BC"), Some(Instant::At(-735160)));
        assert_eq!(parse_date("infinity"), Some(Instant::Infinity));
        assert_eq!(days_from_civil(5_877_611, 6, 21), infinity::DATE.0);
        assert_eq!(days_from_civil(-5_877_611, 6, 22), infinity::DATE.1);
        assert_eq!(format_date(-735160), "-0043-03-15");
    }

    #[test]
    fn times_and_timestamps() {
        assert_eq!(parse_time("01:02:03.5"), Some(3_723_500_000));
        assert_eq!(parse_time("24:00:00"), Some(MICROS_PER_DAY));
        assert_eq!(
            parse_timestamp("2024-03-01 12:30:00.25+02"),
            Some(Instant::At(1_709_289_000_250_000))
        );
        assert_eq!(
            parse_timestamp("0044-03-15 12:00:00 BC"),
            Some(Instant::At(-63_517_780_800_000_000))
        );
        assert_eq!(format_timestamp(-1, Some(6)), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_timestamp(100_000, Some(6)), "1970-01-01T00:00:00.100000Z");
        assert_eq!(format_timestamp(100_000, None), "1970-01-01T00:00:00.1Z");
        assert_eq!(format_timestamp(0, Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_time_tz("12:34:56+02").map(|t| format_time(t, None)),
            Some("10:34:56".into())
        );
        assert_eq!(
            parse_time_tz("00:00:00-08").map(|t| format_time(t, None)),
            Some("08:00:00".into())
        );
        assert_eq!(
            parse_time_tz("12:34:56.5+02:30").map(|t| format_time(t, None)),
            Some("10:04:56.5".into())
        );
        assert_eq!(parse_time_tz("24:00:00+00"), Some(MICROS_PER_DAY));
    }

    #[test]
    fn intervals_as_debezium_computes_them() {
        let i = |t: &str| parse_interval(t).unwrap();
        assert_eq!(i("P1Y2M3DT4H5M6.789S").micros(), 37_091_106_789_000);
        assert_eq!(i("P-1M").micros(), -2_629_800_000_000);
        assert_eq!(i("P1Y").micros(), 31_557_600_000_000);
        assert_eq!(i("P-1DT-2S").micros(), -86_402_000_000);
        assert_eq!(i("PT1.000001S").micros(), 1_000_000);
        assert_eq!(i("PT-0.5S").micros(), -500_000);
        assert_eq!(i("P1Y2M3DT4H5M6.789S").iso(), "P1Y2M3DT4H5M6.789S");
        assert_eq!(i("PT0S").iso(), "P0Y0M0DT0H0M0S");
        assert_eq!(i("P-1DT-2S").iso(), "P0Y0M-1DT0H0M-2S");
        assert_eq!(i("P-2Y-11M").iso(), "P-2Y-11M0DT0H0M0S");
        assert_eq!(i("P1DT1.5S").iso(), "P0Y0M1DT0H0M1.5S");
    }
}
