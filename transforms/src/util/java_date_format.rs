//! Java's `SimpleDateFormat` as Kafka Connect uses it (`TimestampConverter`, `TimestampRouter`):
//! the pattern language, formatting and lenient parsing, in UTC with the en-US locale, over
//! Java's `GregorianCalendar` (the connector API's [`calendar`]: Sunday first, a first week of at
//! least one day, the Julian calendar before 1582-10-15).
//!
//! Parsing follows `SimpleDateFormat.parse` and `GregorianCalendar`'s lenient field resolution:
//! fields may overflow (month 13 is January of the next year), text after the pattern is ignored,
//! two-digit years (`yy`) fall in the century that starts 80 years before the format was made.
//! Time zone names are read for UTC only (`UTC`, `Coordinated Universal Time`, `GMT`); numeric
//! offsets (`+02:00`, `GMT+2:00`, `Z`) are read in full.

use weir_connector_api::java::calendar::{
    self, CalendarBuilder, CalendarFields, Field, SUNDAY, clamp_i32, iso_to_calendar_day_of_week,
};
use weir_connector_api::java::number::{digit, parse_format_integer};

/// Month names, January first.
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

/// Abbreviated month names.
const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Day names, Sunday (Java's day 1) first.
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Abbreviated day names.
const SHORT_WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The names parsing accepts for the eras, with their field values (0 BC, 1 AD).
const ERA_NAMES: [(&str, i32); 4] = [("BC", 0), ("AD", 1), ("Before Christ", 0), ("Anno Domini", 1)];

/// The names parsing accepts for AM and PM.
const AM_PM_NAMES: [(&str, i32); 2] = [("AM", 0), ("PM", 1)];

/// The names of UTC that parsing accepts for `z` and `Z`, in the order Java tries them.
const UTC_NAMES: [&str; 2] = ["Coordinated Universal Time", "UTC"];

/// The letters a pattern may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Letter {
    /// `G`: AD or BC.
    Era,
    /// `y`: the year of the era.
    Year,
    /// `M`: the month, as a number or a name.
    Month,
    /// `d`: the day of the month.
    DayOfMonth,
    /// `k`: the hour of the day, 1-24.
    HourOfDay1,
    /// `H`: the hour of the day, 0-23.
    HourOfDay0,
    /// `m`: the minute.
    Minute,
    /// `s`: the second.
    Second,
    /// `S`: the millisecond.
    Millisecond,
    /// `E`: the day of the week, as a name.
    DayOfWeek,
    /// `D`: the day of the year.
    DayOfYear,
    /// `F`: the day of the week in the month (1 for days 1-7).
    DayOfWeekInMonth,
    /// `w`: the week of the year.
    WeekOfYear,
    /// `W`: the week of the month.
    WeekOfMonth,
    /// `a`: AM or PM.
    AmPm,
    /// `h`: the hour, 1-12.
    Hour1,
    /// `K`: the hour, 0-11.
    Hour0,
    /// `z`: the time zone's name.
    ZoneName,
    /// `Z`: the zone offset as `+hhmm`.
    ZoneValue,
    /// `Y`: the week year.
    WeekYear,
    /// `u`: the ISO day of the week (1 Monday, 7 Sunday).
    IsoDayOfWeek,
    /// `X`: the ISO 8601 zone offset (`Z`, `+hh`, `+hhmm`, `+hh:mm`).
    IsoZone,
    /// `L`: the month, stand-alone form.
    MonthStandalone,
}

impl Letter {
    /// Whether a field of this letter, repeated `count` times, is read as a number before what
    /// it sets is decided (a year, an hour counted from 1, a numeric month).
    fn reads_number_first(self, count: usize) -> bool {
        match self {
            Letter::HourOfDay1 | Letter::Hour1 | Letter::Year | Letter::WeekYear => true,
            Letter::Month | Letter::MonthStandalone => count <= 2,
            _ => false,
        }
    }

    /// The calendar field a letter read as a plain number sets.
    fn number_field(self) -> Option<Field> {
        Some(match self {
            Letter::DayOfMonth => Field::DayOfMonth,
            Letter::HourOfDay0 => Field::HourOfDay,
            Letter::Minute => Field::Minute,
            Letter::Second => Field::Second,
            Letter::Millisecond => Field::Millisecond,
            Letter::DayOfYear => Field::DayOfYear,
            Letter::DayOfWeekInMonth => Field::DayOfWeekInMonth,
            Letter::WeekOfYear => Field::WeekOfYear,
            Letter::WeekOfMonth => Field::WeekOfMonth,
            Letter::Hour0 => Field::Hour,
            // `u`, the ISO day of the week.
            Letter::IsoDayOfWeek => Field::DayOfWeek,
            _ => return None,
        })
    }

    /// The letter a pattern character names, if it is one.
    fn from_char(c: char) -> Option<Letter> {
        Some(match c {
            'G' => Letter::Era,
            'y' => Letter::Year,
            'M' => Letter::Month,
            'd' => Letter::DayOfMonth,
            'k' => Letter::HourOfDay1,
            'H' => Letter::HourOfDay0,
            'm' => Letter::Minute,
            's' => Letter::Second,
            'S' => Letter::Millisecond,
            'E' => Letter::DayOfWeek,
            'D' => Letter::DayOfYear,
            'F' => Letter::DayOfWeekInMonth,
            'w' => Letter::WeekOfYear,
            'W' => Letter::WeekOfMonth,
            'a' => Letter::AmPm,
            'h' => Letter::Hour1,
            'K' => Letter::Hour0,
            'z' => Letter::ZoneName,
            'Z' => Letter::ZoneValue,
            'Y' => Letter::WeekYear,
            'u' => Letter::IsoDayOfWeek,
            'X' => Letter::IsoZone,
            'L' => Letter::MonthStandalone,
            _ => return None,
        })
    }
}

/// One element of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    /// A character written and read as is.
    Literal(char),
    /// A field, with the number of times its letter is repeated.
    Field(Letter, usize),
}

impl Item {
    /// Whether a number read just before this item must stop after as many digits as its
    /// letter is repeated (`SimpleDateFormat.shouldObeyCount`), so that `yyyyMMdd` reads
    /// `20240102`.
    fn is_abutting_number(self) -> bool {
        match self {
            Item::Field(letter, count) => letter.reads_number_first(count) || letter.number_field().is_some(),
            Item::Literal(_) => false,
        }
    }
}

/// A compiled `SimpleDateFormat` pattern.
#[derive(Clone, Debug)]
pub(crate) struct JavaDateFormat {
    /// The pattern as given.
    pattern: String,
    /// Its elements.
    items: Vec<Item>,
    /// The start of the century two-digit years are read into.
    century: CenturyStart,
}

/// Where the 100 years that two-digit years fall in begin (80 years before the format was made).
#[derive(Clone, Copy, Debug)]
struct CenturyStart {
    /// The instant, in epoch milliseconds.
    millis: i64,
    /// Its year.
    year: i32,
}

impl JavaDateFormat {
    /// Compiles a pattern; the error is Java's `IllegalArgumentException` message.
    pub(crate) fn compile(pattern: &str) -> Result<Self, String> {
        let mut items = Vec::new();
        let mut chars = pattern.chars().peekable();
        let mut in_quote = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    items.push(Item::Literal('\''));
                } else {
                    in_quote = !in_quote;
                }
                continue;
            }
            if in_quote || !c.is_ascii_alphabetic() {
                items.push(Item::Literal(c));
                continue;
            }
            let letter = Letter::from_char(c).ok_or_else(|| format!("Illegal pattern character '{c}'"))?;
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            if letter == Letter::IsoZone && count >= 4 {
                return Err(format!("invalid ISO 8601 format: length={count}"));
            }
            items.push(Item::Field(letter, count));
        }
        if in_quote {
            return Err("Unterminated quote".to_owned());
        }
        Ok(JavaDateFormat {
            pattern: pattern.to_owned(),
            items,
            century: CenturyStart::now(),
        })
    }

    /// The pattern, as Java's `toPattern()`.
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The instant `millis` (since the epoch) as the pattern writes it.
    pub(crate) fn format(&self, millis: i64) -> String {
        let mut out = String::with_capacity(self.pattern.len() + 8);
        format_items(&self.items, &CalendarFields::at(millis), &mut out);
        out
    }

    /// The instant `text` describes, read leniently as `SimpleDateFormat.parse(String)` reads
    /// it; `None` where Java throws a `ParseException`.
    pub(crate) fn parse(&self, text: &str) -> Option<i64> {
        let text: Vec<char> = text.chars().collect();
        let mut fields = CalendarBuilder::default();
        let mut ambiguous_year = false;
        let mut pos = 0;
        for (index, item) in self.items.iter().enumerate() {
            match *item {
                Item::Literal(expected) => {
                    if text.get(pos) != Some(&expected) {
                        return None;
                    }
                    pos += 1;
                }
                Item::Field(letter, count) => {
                    let abutting = self.items.get(index + 1).is_some_and(|next| next.is_abutting_number());
                    let mut reader = FieldReader {
                        text: &text,
                        start: pos,
                        count,
                        abutting,
                        fields: &mut fields,
                    };
                    pos = reader.read(letter, self.century, &mut ambiguous_year)?;
                }
            }
        }
        if pos == 0 {
            return None;
        }
        let millis = fields.resolve()?;
        if ambiguous_year && millis < self.century.millis {
            fields.add_years(100);
            return fields.resolve();
        }
        Some(millis)
    }
}

impl CenturyStart {
    /// 80 years before now, as `SimpleDateFormat` sets it when made.
    fn now() -> Self {
        let millis = calendar::plus_years(chrono::Utc::now().timestamp_millis(), -80);
        CenturyStart {
            millis,
            year: clamp_i32(CalendarFields::at(millis).normalized_year),
        }
    }
}

/// Writes `items` for the instant `fields` describes.
fn format_items(items: &[Item], fields: &CalendarFields, out: &mut String) {
    for item in items {
        match *item {
            Item::Literal(c) => out.push(c),
            Item::Field(letter, count) => format_field(letter, count, fields, out),
        }
    }
}

/// Writes one field, as `SimpleDateFormat.subFormat`.
fn format_field(letter: Letter, count: usize, f: &CalendarFields, out: &mut String) {
    let number = |value: i64, out: &mut String| zero_padded(value, count, out);
    match letter {
        Letter::Era => out.push_str(if f.normalized_year > 0 { "AD" } else { "BC" }),
        Letter::Year | Letter::WeekYear => {
            let year = if letter == Letter::Year {
                f.year_of_era()
            } else {
                f.week_year
            };
            if count == 2 {
                two_digits(year, out);
            } else {
                number(year, out);
            }
        }
        Letter::Month | Letter::MonthStandalone => match count {
            1 | 2 => number(f.month + 1, out),
            3 => out.push_str(name(&SHORT_MONTHS, f.month)),
            _ => out.push_str(name(&MONTHS, f.month)),
        },
        Letter::DayOfMonth => number(f.day_of_month, out),
        Letter::HourOfDay1 => number(if f.hour == 0 { 24 } else { f.hour }, out),
        Letter::HourOfDay0 => number(f.hour, out),
        Letter::Minute => number(f.minute, out),
        Letter::Second => number(f.second, out),
        Letter::Millisecond => number(f.millisecond, out),
        Letter::DayOfWeek if count >= 4 => out.push_str(name(&WEEKDAYS, f.day_of_week - 1)),
        Letter::DayOfWeek => out.push_str(name(&SHORT_WEEKDAYS, f.day_of_week - 1)),
        Letter::DayOfYear => number(f.day_of_year, out),
        Letter::DayOfWeekInMonth => number(f.day_of_week_in_month, out),
        Letter::WeekOfYear => number(f.week_of_year, out),
        Letter::WeekOfMonth => number(f.week_of_month, out),
        Letter::AmPm => out.push_str(if f.hour < 12 { "AM" } else { "PM" }),
        Letter::Hour1 => number(if f.hour % 12 == 0 { 12 } else { f.hour % 12 }, out),
        Letter::Hour0 => number(f.hour % 12, out),
        Letter::ZoneName if count >= 4 => out.push_str(UTC_NAMES[0]),
        Letter::ZoneName => out.push_str(UTC_NAMES[1]),
        Letter::ZoneValue => out.push_str("+0000"),
        Letter::IsoZone => out.push('Z'),
        Letter::IsoDayOfWeek => number(if f.day_of_week == SUNDAY { 7 } else { f.day_of_week - 1 }, out),
    }
}

/// The name at a 0-based index of a table (indexes come from calendar arithmetic, so they are
/// always in range; an empty string guards the impossible).
fn name(names: &[&'static str], index: i64) -> &'static str {
    usize::try_from(index)
        .ok()
        .and_then(|i| names.get(i))
        .copied()
        .unwrap_or("")
}

/// The largest number of digits Java pads a number to (`DecimalFormat`'s
/// `DOUBLE_INTEGER_DIGITS`).
const MAX_PADDING: usize = 309;

/// A number in at least `digits` digits, as Java's `DecimalFormat` writes it (`-` then the
/// zero-padded magnitude).
fn zero_padded(value: i64, digits: usize, out: &mut String) {
    if value < 0 {
        out.push('-');
    }
    let magnitude = value.unsigned_abs().to_string();
    for _ in magnitude.len()..digits.min(MAX_PADDING) {
        out.push('0');
    }
    out.push_str(&magnitude);
}

/// A year in two digits (its last two: `yy`).
fn two_digits(value: i64, out: &mut String) {
    if value < 0 {
        out.push('-');
    }
    let last = value.unsigned_abs() % 100;
    out.push(char::from(b'0' + (last / 10) as u8));
    out.push(char::from(b'0' + (last % 10) as u8));
}

/// Reads one field of the text, as `SimpleDateFormat.subParse`.
struct FieldReader<'a> {
    /// The whole text.
    text: &'a [char],
    /// Where the field starts.
    start: usize,
    /// How many times the pattern repeats the letter.
    count: usize,
    /// Whether a number field follows directly, so that a number here stops after `count`
    /// digits.
    abutting: bool,
    /// The fields read so far.
    fields: &'a mut CalendarBuilder,
}

impl FieldReader<'_> {
    /// Reads the field `letter` names; the position after it, or `None` when the text does not
    /// match.
    fn read(&mut self, letter: Letter, century: CenturyStart, ambiguous_year: &mut bool) -> Option<usize> {
        // Spaces and tabs before a field are skipped; the end of the text is a failure.
        let mut pos = self.start;
        while matches!(self.text.get(pos)?, ' ' | '\t') {
            pos += 1;
        }
        let value_start = pos;
        let mut value = 0;
        if letter.reads_number_first(self.count) {
            (value, pos) = self.number(pos)?;
        }
        match letter {
            Letter::Era => self.name(Field::Era, ERA_NAMES.iter().copied()),
            Letter::Year | Letter::WeekYear => {
                let two_digits = self.count <= 2
                    && pos - value_start == 2
                    && self.text[value_start..pos].iter().all(|c| digit(*c).is_some());
                if two_digits {
                    let ambiguous = century.year % 100;
                    *ambiguous_year = value == ambiguous;
                    value += century.year / 100 * 100 + if value < ambiguous { 100 } else { 0 };
                }
                let field = if letter == Letter::Year {
                    Field::Year
                } else {
                    Field::WeekYear
                };
                self.fields.set(field, value);
                Some(pos)
            }
            Letter::Month | Letter::MonthStandalone if self.count <= 2 => {
                self.fields.set(Field::Month, value.wrapping_sub(1));
                Some(pos)
            }
            Letter::Month | Letter::MonthStandalone => {
                self.name(Field::Month, numbered(&MONTHS).chain(numbered(&SHORT_MONTHS)))
            }
            Letter::HourOfDay1 => {
                self.fields.set(Field::HourOfDay, if value == 24 { 0 } else { value });
                Some(pos)
            }
            Letter::Hour1 => {
                self.fields.set(Field::Hour, if value == 12 { 0 } else { value });
                Some(pos)
            }
            // Full names are tried before abbreviations; days are numbered from 1 (Sunday).
            Letter::DayOfWeek => self
                .name(Field::DayOfWeek, numbered(&WEEKDAYS).map(|(n, i)| (n, i + 1)))
                .or_else(|| self.name(Field::DayOfWeek, numbered(&SHORT_WEEKDAYS).map(|(n, i)| (n, i + 1)))),
            Letter::AmPm => self.name(Field::AmPm, AM_PM_NAMES.iter().copied()),
            Letter::ZoneName | Letter::ZoneValue => self.zone(pos),
            Letter::IsoZone => self.iso_zone(pos),
            number => {
                let field = number.number_field()?;
                let (value, pos) = self.number(pos)?;
                let value = if letter == Letter::IsoDayOfWeek {
                    clamp_i32(iso_to_calendar_day_of_week(i64::from(value)))
                } else {
                    value
                };
                self.fields.set(field, value);
                Some(pos)
            }
        }
    }

    /// Reads a number at `pos`, as `SimpleDateFormat`'s integer `DecimalFormat` reads it;
    /// next to another number field it stops after `count` characters from the field's start.
    fn number(&self, pos: usize) -> Option<(i32, usize)> {
        let end = if self.abutting {
            let end = self.start + self.count;
            if end > self.text.len() {
                return None;
            }
            end
        } else {
            self.text.len()
        };
        parse_format_integer(&self.text[..end], pos)
    }

    /// Reads the longest of `names` (ignoring case) at the field's start (not after its
    /// spaces, as Java reads names) and sets `field` to its value.
    fn name(&mut self, field: Field, names: impl Iterator<Item = (&'static str, i32)>) -> Option<usize> {
        let rest = self.text.get(self.start..)?;
        let (name, value) = names
            .filter(|(name, _)| starts_with_ignoring_case(rest, name))
            .max_by_key(|(name, _)| name.len())?;
        self.fields.set(field, value);
        Some(self.start + name.chars().count())
    }

    /// Reads a `z` or `Z` zone: `+hhmm`, `GMT`, `GMT+h:mm`, or a name of UTC.
    fn zone(&mut self, pos: usize) -> Option<usize> {
        let gmt = self
            .text
            .get(self.start..)
            .is_some_and(|rest| starts_with_ignoring_case(rest, "GMT"));
        match self.text.get(pos)? {
            '+' => self.offset(pos + 1, 1, OffsetForm::NoColon),
            '-' => self.offset(pos + 1, -1, OffsetForm::NoColon),
            // "GMT" is looked for where the field starts, not after its spaces (as Java does).
            'G' | 'g' if gmt => {
                let after = self.start + 3;
                match self.text.get(after) {
                    Some('+') => self.offset(after + 1, 1, OffsetForm::Gmt),
                    Some('-') => self.offset(after + 1, -1, OffsetForm::Gmt),
                    _ => {
                        self.set_offset(0);
                        Some(after)
                    }
                }
            }
            _ => {
                let rest = &self.text[pos..];
                UTC_NAMES
                    .iter()
                    .find(|name| starts_with_ignoring_case(rest, name))
                    .map(|name| pos + name.chars().count())
            }
        }
    }

    /// Reads an `X` zone: `Z`, or a sign and `hh` (`X`), `hhmm` (`XX`) or `hh:mm` (`XXX`).
    fn iso_zone(&mut self, pos: usize) -> Option<usize> {
        let form = match self.count {
            1 => OffsetForm::HoursOnly,
            2 => OffsetForm::NoColon,
            _ => OffsetForm::Colon,
        };
        match self.text.get(pos)? {
            'Z' => {
                self.set_offset(0);
                Some(pos + 1)
            }
            '+' => self.offset(pos + 1, 1, form),
            '-' => self.offset(pos + 1, -1, form),
            _ => None,
        }
    }

    /// Reads an offset after its sign, as `SimpleDateFormat.subParseNumericZone`.
    fn offset(&mut self, mut pos: usize, sign: i64, form: OffsetForm) -> Option<usize> {
        let digit = |pos: usize| {
            self.text
                .get(pos)
                .filter(|c| c.is_ascii_digit())
                .and_then(|c| c.to_digit(10))
                .map(i64::from)
        };
        let mut hours = digit(pos)?;
        pos += 1;
        if self.text.get(pos)?.is_ascii_digit() {
            hours = hours * 10 + digit(pos)?;
            pos += 1;
        } else if form != OffsetForm::Gmt {
            return None;
        }
        if hours > 23 {
            return None;
        }
        let mut minutes = 0;
        if form != OffsetForm::HoursOnly {
            if matches!(form, OffsetForm::Colon | OffsetForm::Gmt) {
                if self.text.get(pos)? != &':' {
                    return None;
                }
                pos += 1;
            }
            minutes = digit(pos)? * 10 + digit(pos + 1)?;
            pos += 2;
            if minutes > 59 {
                return None;
            }
        }
        self.set_offset(sign * (hours * 60 + minutes) * 60_000);
        Some(pos)
    }

    /// Sets the zone offset (and no daylight saving).
    fn set_offset(&mut self, millis: i64) {
        self.fields.set(Field::ZoneOffset, clamp_i32(millis));
        self.fields.set(Field::DstOffset, 0);
    }
}

/// How an offset is written after its sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OffsetForm {
    /// `hh` (`X`).
    HoursOnly,
    /// `hhmm` (`XX`, `Z`).
    NoColon,
    /// `hh:mm` (`XXX`).
    Colon,
    /// `h:mm` or `hh:mm` (after `GMT`).
    Gmt,
}

/// The names of a table with their 0-based positions.
fn numbered(names: &'static [&'static str]) -> impl Iterator<Item = (&'static str, i32)> {
    names.iter().copied().zip(0..)
}

/// Whether `text` starts with `prefix`, ignoring case as Java's `regionMatches(true, ...)` does
/// (characters equal once upper-cased, or once upper- then lower-cased).
fn starts_with_ignoring_case(text: &[char], prefix: &str) -> bool {
    /// A case mapping's result when it is one character (Java's simple mapping), else the
    /// character unmapped.
    fn simple(mut mapped: impl Iterator<Item = char>, original: char) -> char {
        match (mapped.next(), mapped.next()) {
            (Some(c), None) => c,
            _ => original,
        }
    }
    let fold = |c: char| {
        let upper = simple(c.to_uppercase(), c);
        simple(upper.to_lowercase(), upper)
    };
    let mut text = text.iter();
    prefix
        .chars()
        .all(|p| text.next().is_some_and(|t| *t == p || fold(*t) == fold(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(pattern: &str, millis: i64) -> String {
        JavaDateFormat::compile(pattern).unwrap().format(millis)
    }

    fn parse(pattern: &str, text: &str) -> Option<i64> {
        JavaDateFormat::compile(pattern).unwrap().parse(text)
    }

    #[test]
    fn patterns_compile_as_java_compiles_them() {
        assert_eq!(
            JavaDateFormat::compile("yyyy-bb").unwrap_err(),
            "Illegal pattern character 'b'"
        );
        assert_eq!(JavaDateFormat::compile("yyyy'T").unwrap_err(), "Unterminated quote");
        assert_eq!(
            JavaDateFormat::compile("XXXX").unwrap_err(),
            "invalid ISO 8601 format: length=4"
        );
        assert_eq!(format("'o''clock' ''h", 0), "o'clock '12");
        assert_eq!(format("", 0), "");
    }

    #[test]
    fn formats_as_the_jvm_does() {
        // Values from java.text.SimpleDateFormat in UTC, en-US.
        let t = 1_704_164_645_678;
        assert_eq!(format("yyyy-MM-dd HH:mm:ss.SSS", t), "2024-01-02 03:04:05.678");
        assert_eq!(
            format("EEE, dd MMM yyyy HH:mm:ss Z z", t),
            "Tue, 02 Jan 2024 03:04:05 +0000 UTC"
        );
        assert_eq!(format("YYYY-'W'ww-u D a hh K k", t), "2024-W01-2 2 AM 03 3 3");
        assert_eq!(
            format("G y yy yyy yyyyy Y YY D w", -62_198_755_200_000),
            "BC 2 02 002 00002 -1 -01 3 1"
        );
        assert_eq!(
            format("yyyy-MM-dd HH:mm:ss.SSS D w W F", -15_000_000_000_000),
            "1494-08-23 21:20:00.000 235 34 4 4"
        );
        assert_eq!(format("Y YY w", 253_402_300_799_999), "10000 00 1");
        assert_eq!(format("zzzz XXX h k", 0), "Coordinated Universal Time Z 12 24");
    }

    #[test]
    fn parses_leniently_as_the_jvm_does() {
        assert_eq!(parse("yyyy-MM-dd", "2024-13-45"), Some(1_739_491_200_000));
        assert_eq!(parse("yyyy-MM-dd", "2024-01-02junk"), Some(1_704_153_600_000));
        assert_eq!(
            parse("yyyy-MM-dd'T'HH:mm:ssXXX", "2024-01-02T05:04:05+02:00"),
            Some(1_704_164_645_000)
        );
        assert_eq!(parse("yyyyMMdd", "2024012"), Some(1_704_153_600_000));
        assert_eq!(parse("yyyy", "2024E1"), Some(576_545_472_000_000));
        assert_eq!(parse("yyyy", "NaN"), Some(-62_167_392_000_000));
        assert_eq!(parse("G yyyy", "bc 0002"), Some(-62_198_928_000_000));
        assert_eq!(parse("a h", "pm 3"), Some(54_000_000));
        assert_eq!(parse("z", "GMT+2:30"), Some(-9_000_000));
        assert_eq!(parse("HH:mm", "25:61"), Some(93_660_000));
        assert_eq!(parse("MMM", "Sept"), Some(20_995_200_000));
        assert_eq!(parse("yyyy-MM-dd", "1582-10-10"), Some(-12_218_860_800_000));
        assert_eq!(parse("yyyy-DDD", "1582-300"), Some(-12_217_392_000_000));
        assert_eq!(parse("yyyy-MM F EEE", "2024-02 -1 Wed"), Some(1_709_078_400_000));
        assert_eq!(parse("YYYY ww u", "2024 1 9"), Some(1_704_758_400_000));
        assert_eq!(parse("YYYY ww", "2021 53"), Some(1_640_476_800_000));
        assert_eq!(parse("G YYYY ww", "BC 0005 10"), Some(-62_288_697_600_000));
        assert_eq!(parse("u EEE", "3 Mon"), Some(345_600_000));
        assert_eq!(parse("yyyy-MM-dd z", "2024-01-01 GMT-5:30"), Some(1_704_087_000_000));
        assert_eq!(parse("yyyy-MM-dd", "２０２４-01-01"), Some(1_704_067_200_000));
        assert_eq!(parse("yyyy MM", "2024\u{a0}01"), None);
        assert_eq!(parse("yyyy", "+5"), None);
        assert_eq!(parse("z", "GMT+2"), None);
        assert_eq!(parse("yyyy-MM-dd", "02/01/2024"), None);
    }
}
