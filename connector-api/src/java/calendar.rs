//! Java's `GregorianCalendar` in UTC with the en-US week rules (Sunday first, a first week of at
//! least one day), as `SimpleDateFormat` and Kafka Connect's `Values` use it: the Julian
//! calendar before the Gregorian cutover of 1582-10-15, the fields of an instant
//! (`computeFields`), and an instant from fields set one by one, resolved leniently as
//! `CalendarBuilder` and `computeTime` resolve them (fields may overflow: month 13 is January of
//! the next year).

use crate::data::logical::MILLIS_PER_DAY;

/// The fixed date (days from 0001-01-01 Gregorian, which is day 1) of 1970-01-01.
const EPOCH_FIXED_DATE: i64 = 719_163;

/// The fixed date of 1582-10-15, the first day of the Gregorian calendar (the day after Julian
/// 1582-10-04).
const CUTOVER_FIXED_DATE: i64 = 577_736;

/// The year of the cutover.
const CUTOVER_YEAR: i64 = 1582;

/// The day of the week a week starts on in en-US (Java's `Calendar.SUNDAY`).
pub const SUNDAY: i64 = 1;

/// The calendar fields of an instant in UTC, as `GregorianCalendar.computeFields` sets them.
#[derive(Clone, Copy, Debug)]
pub struct CalendarFields {
    /// The year, counting 1 BC as 0, 2 BC as -1.
    pub normalized_year: i64,
    /// The month, 0 for January.
    pub month: i64,
    /// The day of the month, from 1.
    pub day_of_month: i64,
    /// The day of the week, 1 for Sunday.
    pub day_of_week: i64,
    /// The day of the year, from 1.
    pub day_of_year: i64,
    /// 1 for the month's days 1-7, 2 for 8-14, ...
    pub day_of_week_in_month: i64,
    /// The week of the year (weeks start on Sunday; week 1 holds January 1).
    pub week_of_year: i64,
    /// The week of the month.
    pub week_of_month: i64,
    /// The year the week belongs to (normalized, as the year).
    pub week_year: i64,
    /// The hour of the day, 0-23.
    pub hour: i64,
    /// The minute.
    pub minute: i64,
    /// The second.
    pub second: i64,
    /// The millisecond.
    pub millisecond: i64,
}

impl CalendarFields {
    /// The fields of `millis` since the epoch.
    pub fn at(millis: i64) -> Self {
        let fixed = millis.div_euclid(MILLIS_PER_DAY) + EPOCH_FIXED_DATE;
        let time_of_day = millis.rem_euclid(MILLIS_PER_DAY);
        let calendar = Calendar::for_fixed_date(fixed);
        let (year, month, day_of_month) = calendar.date(fixed);
        let jan1 = hybrid_fixed_date(year, 1, 1);
        let month1 = hybrid_fixed_date(year, month, 1);
        let mut week_of_year = week_number(jan1, fixed);
        // The last days of a year may be in the first week of the next; Java looks for them in
        // the years around the cutover whatever their week number.
        if week_of_year >= 52 || (CUTOVER_YEAR - 1..=CUTOVER_YEAR).contains(&year) {
            let next_jan1 = hybrid_fixed_date(year + 1, 1, 1);
            let next_week1 = day_of_week_on_or_before(next_jan1 + 6, SUNDAY);
            if next_week1 - next_jan1 >= 1 && fixed >= next_week1 - 7 {
                week_of_year = 1;
            }
        }
        let week_year = if month != 1 && week_of_year == 1 {
            year + 1
        } else {
            year
        };
        CalendarFields {
            normalized_year: year,
            month: month - 1,
            day_of_month,
            day_of_week: day_of_week(fixed),
            day_of_year: fixed - jan1 + 1,
            day_of_week_in_month: (fixed - month1) / 7 + 1,
            week_of_year,
            week_of_month: week_number(month1, fixed),
            week_year,
            hour: time_of_day / 3_600_000,
            minute: time_of_day / 60_000 % 60,
            second: time_of_day / 1000 % 60,
            millisecond: time_of_day % 1000,
        }
    }

    /// The year within its era (1 BC is 1).
    pub fn year_of_era(&self) -> i64 {
        if self.normalized_year > 0 {
            self.normalized_year
        } else {
            1 - self.normalized_year
        }
    }
}

/// The week number of `fixed` in the period that starts on `first_day` (Sunday-first weeks,
/// the first week holding at least one day of the period), as `GregorianCalendar.getWeekNumber`.
fn week_number(first_day: i64, fixed: i64) -> i64 {
    let mut week1 = day_of_week_on_or_before(first_day + 6, SUNDAY);
    if week1 - first_day >= 1 {
        week1 -= 7;
    }
    (fixed - week1).div_euclid(7) + 1
}

/// The day of the week of a fixed date, 1 for Sunday.
fn day_of_week(fixed: i64) -> i64 {
    fixed.rem_euclid(7) + SUNDAY
}

/// The last day on or before `fixed` that falls on `day_of_week` (1 Sunday; lenient values
/// outside 1-7 are taken modulo 7, as Java takes them).
fn day_of_week_on_or_before(fixed: i64, day_of_week: i64) -> i64 {
    fixed - (fixed - (day_of_week - 1)).rem_euclid(7)
}

/// The fixed date of a day of the calendar in force on it: Gregorian from 1582-10-15, Julian
/// before (the first of a month or year is taken in the calendar that has it).
fn hybrid_fixed_date(year: i64, month: i64, day: i64) -> i64 {
    let gregorian = Calendar::Gregorian.fixed_date(year, month, day);
    if gregorian >= CUTOVER_FIXED_DATE {
        gregorian
    } else {
        Calendar::Julian.fixed_date(year, month, day)
    }
}

/// The length of a month (1-12) of a year, with `GregorianCalendar`'s leap years.
fn month_length(calendar: Calendar, year: i64, month: i64) -> i64 {
    match month {
        2 if calendar.is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The two calendars of Java's `GregorianCalendar`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Calendar {
    /// The proleptic Gregorian calendar.
    Gregorian,
    /// The Julian calendar, with 1 BC as year 0.
    Julian,
}

impl Calendar {
    /// The calendar a fixed date is written in.
    fn for_fixed_date(fixed: i64) -> Self {
        if fixed >= CUTOVER_FIXED_DATE {
            Calendar::Gregorian
        } else {
            Calendar::Julian
        }
    }

    /// The calendar whose leap years a year follows.
    fn for_year(year: i64) -> Self {
        if year > CUTOVER_YEAR {
            Calendar::Gregorian
        } else {
            Calendar::Julian
        }
    }

    /// Whether `year` (normalized) is a leap year.
    fn is_leap(self, year: i64) -> bool {
        match self {
            Calendar::Gregorian => year.rem_euclid(4) == 0 && (year % 100 != 0 || year % 400 == 0),
            Calendar::Julian => year.rem_euclid(4) == 0,
        }
    }

    /// The fixed date of `year`-`month`-`day` (month 1-12; a day past the month's end runs on).
    fn fixed_date(self, year: i64, month: i64, day: i64) -> i64 {
        let previous = year - 1;
        let mut days = day + 365 * previous + (367 * month - 362).div_euclid(12);
        days += match self {
            Calendar::Gregorian => previous.div_euclid(4) - previous.div_euclid(100) + previous.div_euclid(400),
            // The Julian epoch, 0001-01-01 Julian, is fixed date -1.
            Calendar::Julian => previous.div_euclid(4) - 2,
        };
        if month > 2 {
            days -= if self.is_leap(year) { 1 } else { 2 };
        }
        days
    }

    /// The year, month (1-12) and day of a fixed date.
    fn date(self, fixed: i64) -> (i64, i64, i64) {
        let year = match self {
            Calendar::Gregorian => gregorian_year(fixed),
            Calendar::Julian => (4 * (fixed + 1) + 1464).div_euclid(1461),
        };
        let mut prior_days = fixed - self.fixed_date(year, 1, 1);
        if fixed >= self.fixed_date(year, 3, 1) {
            prior_days += if self.is_leap(year) { 1 } else { 2 };
        }
        let month = (12 * prior_days + 373).div_euclid(367);
        let day = fixed - self.fixed_date(year, month, 1) + 1;
        (year, month, day)
    }
}

/// The Gregorian year of a fixed date.
fn gregorian_year(fixed: i64) -> i64 {
    let d0 = fixed - 1;
    let n400 = d0.div_euclid(146_097);
    let d1 = d0.rem_euclid(146_097);
    let n100 = d1 / 36_524;
    let d2 = d1 % 36_524;
    let n4 = d2 / 1461;
    let d3 = d2 % 1461;
    let n1 = d3 / 365;
    let year = 400 * n400 + 100 * n100 + 4 * n4 + n1;
    if n100 == 4 || n1 == 4 { year } else { year + 1 }
}

/// The calendar fields parsing sets, numbered as Java's `Calendar` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `ERA`: 0 BC, 1 AD.
    Era = 0,
    /// `YEAR`, of the era.
    Year = 1,
    /// `MONTH`, 0 for January.
    Month = 2,
    /// `WEEK_OF_YEAR`.
    WeekOfYear = 3,
    /// `WEEK_OF_MONTH`.
    WeekOfMonth = 4,
    /// `DAY_OF_MONTH`.
    DayOfMonth = 5,
    /// `DAY_OF_YEAR`.
    DayOfYear = 6,
    /// `DAY_OF_WEEK`, 1 for Sunday.
    DayOfWeek = 7,
    /// `DAY_OF_WEEK_IN_MONTH`.
    DayOfWeekInMonth = 8,
    /// `AM_PM`: 0 AM, 1 PM.
    AmPm = 9,
    /// `HOUR`, 0-11.
    Hour = 10,
    /// `HOUR_OF_DAY`, 0-23.
    HourOfDay = 11,
    /// `MINUTE`.
    Minute = 12,
    /// `SECOND`.
    Second = 13,
    /// `MILLISECOND`.
    Millisecond = 14,
    /// `ZONE_OFFSET`, in milliseconds.
    ZoneOffset = 15,
    /// `DST_OFFSET`, in milliseconds.
    DstOffset = 16,
    /// Java's `CalendarBuilder.WEEK_YEAR` pseudo field.
    WeekYear = 17,
}

/// The number of fields.
const FIELD_COUNT: usize = 18;

/// The fields read so far, each with the order it was set in (Java's `CalendarBuilder`): when
/// several fields could fix the date, the most recently set ones win.
#[derive(Clone, Debug, Default)]
pub struct CalendarBuilder {
    /// When each field was set (0: never).
    stamps: [u32; FIELD_COUNT],
    /// The values.
    values: [i32; FIELD_COUNT],
    /// The next stamp.
    next_stamp: u32,
}

impl CalendarBuilder {
    /// Sets a field.
    pub fn set(&mut self, field: Field, value: i32) {
        self.next_stamp += 1;
        self.stamps[field as usize] = self.next_stamp;
        self.values[field as usize] = value;
    }

    /// When a field was set (0: never).
    fn stamp(&self, field: Field) -> u32 {
        self.stamps[field as usize]
    }

    /// Whether a field was set.
    fn is_set(&self, field: Field) -> bool {
        self.stamp(field) > 0
    }

    /// A field's value (0 when unset, as a cleared `Calendar` has it).
    fn get(&self, field: Field) -> i64 {
        i64::from(self.values[field as usize])
    }

    /// Adds to the year and the week year (the two-digit year's second chance).
    pub fn add_years(&mut self, years: i32) {
        for field in [Field::Year, Field::WeekYear] {
            let value = &mut self.values[field as usize];
            *value = value.wrapping_add(years);
        }
    }

    /// The instant the fields describe, as `CalendarBuilder.establish` and
    /// `GregorianCalendar.computeTime` (lenient) make it.
    pub fn resolve(&self) -> Option<i64> {
        let week_date = self.is_set(Field::WeekYear) && self.stamp(Field::WeekYear) > self.stamp(Field::Year);
        if !week_date {
            return self.compute_time();
        }
        let mut fields = self.clone();
        let (week_year, week, day) = self.week_date();
        // The era is the one the other fields give (`GregorianCalendar.setWeekDate`).
        let (fixed, _) = self.fixed_date_and_time()?;
        let era = i32::from(Calendar::for_fixed_date(fixed).date(fixed).0 > 0);
        let year = if era == 0 { 1 - week_year } else { week_year };
        let calendar = if year > CUTOVER_YEAR {
            Calendar::Gregorian
        } else {
            Calendar::Julian
        };
        let week1 = {
            let jan1 = calendar.fixed_date(year, 1, 1);
            let sunday = day_of_week_on_or_before(jan1 + 6, SUNDAY);
            if sunday - jan1 >= 1 { sunday - 7 } else { sunday }
        };
        let offset = (day - SUNDAY).rem_euclid(7) + 7 * (week - 1);
        let fixed = week1 + offset;
        let (year, month, day_of_month) = Calendar::for_fixed_date(fixed).date(fixed);
        fields.set(Field::Era, i32::from(year > 0));
        fields.set(Field::Year, clamp_i32(if year > 0 { year } else { 1 - year }));
        fields.set(Field::Month, clamp_i32(month - 1));
        fields.set(Field::DayOfMonth, clamp_i32(day_of_month));
        fields.compute_time()
    }

    /// The week year, week and day of the week (1 Sunday) of a week date, with a lenient day of
    /// the week carried into the week as `CalendarBuilder.establish` carries it.
    fn week_date(&self) -> (i64, i64, i64) {
        let mut week = if self.is_set(Field::WeekOfYear) {
            self.get(Field::WeekOfYear)
        } else {
            1
        };
        let mut day = if self.is_set(Field::DayOfWeek) {
            self.get(Field::DayOfWeek)
        } else {
            SUNDAY
        };
        if !(1..=7).contains(&day) {
            if day >= 8 {
                day -= 1;
                week += day / 7;
                day = day % 7 + 1;
            } else {
                let weeks = -day / 7 + 1;
                day += 7 * weeks;
                week -= weeks;
            }
            day = iso_to_calendar_day_of_week(day);
        }
        (self.get(Field::WeekYear), week, day)
    }

    /// The epoch milliseconds of the fields, in UTC unless a zone offset was read.
    fn compute_time(&self) -> Option<i64> {
        let (fixed, time_of_day) = self.fixed_date_and_time()?;
        let millis = (fixed - EPOCH_FIXED_DATE)
            .wrapping_mul(MILLIS_PER_DAY)
            .wrapping_add(time_of_day);
        let offset = self.get(Field::ZoneOffset) + self.get(Field::DstOffset);
        Some(millis.wrapping_sub(offset))
    }

    /// The local fixed date and time of day (`GregorianCalendar.computeTime`).
    fn fixed_date_and_time(&self) -> Option<(i64, i64)> {
        let mask = self.select_fields();
        let mut year = if self.is_set(Field::Year) {
            self.get(Field::Year)
        } else {
            1970
        };
        match self.is_set(Field::Era).then(|| self.get(Field::Era)) {
            Some(0) => year = 1 - year,
            Some(1) | None => {}
            Some(_) => return None,
        }
        let mut time_of_day = if mask.has(Field::HourOfDay) {
            self.get(Field::HourOfDay)
        } else if mask.has(Field::AmPm) {
            self.get(Field::Hour) + 12 * self.get(Field::AmPm)
        } else {
            self.get(Field::Hour)
        };
        time_of_day = time_of_day * 60 + self.get(Field::Minute);
        time_of_day = time_of_day * 60 + self.get(Field::Second);
        time_of_day = time_of_day * 1000 + self.get(Field::Millisecond);
        let carried_days = time_of_day.div_euclid(MILLIS_PER_DAY);
        let time_of_day = time_of_day.rem_euclid(MILLIS_PER_DAY);

        let gregorian = || carried_days + self.fixed_date(Calendar::Gregorian, year, mask);
        let julian = || carried_days + self.fixed_date(Calendar::Julian, year, mask);
        let (gregorian_date, julian_date) = if year > CUTOVER_YEAR {
            let date = gregorian();
            if date >= CUTOVER_FIXED_DATE {
                return Some((date, time_of_day));
            }
            (date, julian())
        } else if year < CUTOVER_YEAR {
            let date = julian();
            if date < CUTOVER_FIXED_DATE {
                return Some((date, time_of_day));
            }
            (date, date)
        } else {
            (gregorian(), julian())
        };
        // Near the cutover: a day or week of the year counts in the Julian year; otherwise the
        // Gregorian reading wins when it falls after the cutover.
        let fixed = if mask.has(Field::DayOfYear) || mask.has(Field::WeekOfYear) || gregorian_date < CUTOVER_FIXED_DATE
        {
            julian_date
        } else {
            gregorian_date
        };
        Some((fixed, time_of_day))
    }

    /// The fixed date of the fields in `calendar`, for the fields `mask` selected
    /// (`GregorianCalendar.getFixedDate`).
    fn fixed_date(&self, calendar: Calendar, mut year: i64, mask: FieldMask) -> i64 {
        let mut month = 0;
        if mask.has(Field::Month) {
            month = self.get(Field::Month);
            year += month.div_euclid(12);
            month = month.rem_euclid(12);
        }
        let mut fixed = calendar.fixed_date(year, month + 1, 1);
        if mask.has(Field::Month) {
            if mask.has(Field::DayOfMonth) {
                if self.is_set(Field::DayOfMonth) {
                    fixed += self.get(Field::DayOfMonth) - 1;
                }
            } else if mask.has(Field::WeekOfMonth) {
                let mut week1 = day_of_week_on_or_before(fixed + 6, SUNDAY);
                if week1 - fixed >= 1 {
                    week1 -= 7;
                }
                if mask.has(Field::DayOfWeek) {
                    week1 = day_of_week_on_or_before(week1 + 6, self.get(Field::DayOfWeek));
                }
                fixed = week1 + 7 * (self.get(Field::WeekOfMonth) - 1);
            } else {
                let day = if mask.has(Field::DayOfWeek) {
                    self.get(Field::DayOfWeek)
                } else {
                    SUNDAY
                };
                let nth = if mask.has(Field::DayOfWeekInMonth) {
                    self.get(Field::DayOfWeekInMonth)
                } else {
                    1
                };
                fixed = if nth >= 0 {
                    day_of_week_on_or_before(fixed + 7 * nth - 1, day)
                } else {
                    let last = month_length(Calendar::for_year(year), year, month + 1) + 7 * (nth + 1);
                    day_of_week_on_or_before(fixed + last - 1, day)
                };
            }
        } else if mask.has(Field::DayOfYear) {
            fixed += self.get(Field::DayOfYear) - 1;
        } else {
            let mut week1 = day_of_week_on_or_before(fixed + 6, SUNDAY);
            if week1 - fixed >= 1 {
                week1 -= 7;
            }
            if mask.has(Field::DayOfWeek) && self.get(Field::DayOfWeek) != SUNDAY {
                week1 = day_of_week_on_or_before(week1 + 6, self.get(Field::DayOfWeek));
            }
            fixed = week1 + 7 * (self.get(Field::WeekOfYear) - 1);
        }
        fixed
    }

    /// Which fields fix the date and the time, as `Calendar.selectFields`.
    fn select_fields(&self) -> FieldMask {
        let stamp = |field| self.stamp(field);
        let both = |a: u32, b: u32| if a == 0 || b == 0 { 0 } else { a.max(b) };
        let mut mask = FieldMask::default();
        let day_of_week = stamp(Field::DayOfWeek);
        let month = stamp(Field::Month);
        let mut day_of_month = stamp(Field::DayOfMonth);
        let mut week_of_month = both(stamp(Field::WeekOfMonth), day_of_week);
        let mut day_of_week_in_month = both(stamp(Field::DayOfWeekInMonth), day_of_week);
        let day_of_year = stamp(Field::DayOfYear);
        let mut week_of_year = both(stamp(Field::WeekOfYear), day_of_week);

        let mut best = day_of_month
            .max(week_of_month)
            .max(day_of_week_in_month)
            .max(day_of_year)
            .max(week_of_year);
        if best == 0 {
            week_of_month = stamp(Field::WeekOfMonth);
            day_of_week_in_month = stamp(Field::DayOfWeekInMonth).max(day_of_week);
            week_of_year = stamp(Field::WeekOfYear);
            best = week_of_month.max(day_of_week_in_month).max(week_of_year);
            if best == 0 {
                day_of_month = month;
                best = month;
            }
        }

        if best == day_of_month
            || (best == week_of_month && stamp(Field::WeekOfMonth) >= stamp(Field::WeekOfYear))
            || (best == day_of_week_in_month && stamp(Field::DayOfWeekInMonth) >= stamp(Field::WeekOfYear))
        {
            mask.add(Field::Month);
            if best == day_of_month {
                mask.add(Field::DayOfMonth);
            } else {
                if day_of_week != 0 {
                    mask.add(Field::DayOfWeek);
                }
                if week_of_month == day_of_week_in_month {
                    if stamp(Field::WeekOfMonth) >= stamp(Field::DayOfWeekInMonth) {
                        mask.add(Field::WeekOfMonth);
                    } else {
                        mask.add(Field::DayOfWeekInMonth);
                    }
                } else if best == week_of_month {
                    mask.add(Field::WeekOfMonth);
                } else if stamp(Field::DayOfWeekInMonth) != 0 {
                    mask.add(Field::DayOfWeekInMonth);
                }
            }
        } else if best == day_of_year {
            mask.add(Field::DayOfYear);
        } else {
            if day_of_week != 0 {
                mask.add(Field::DayOfWeek);
            }
            mask.add(Field::WeekOfYear);
        }

        let hour_of_day = stamp(Field::HourOfDay);
        let hour = both(stamp(Field::Hour), stamp(Field::AmPm));
        let mut best = hour.max(hour_of_day);
        if best == 0 {
            best = stamp(Field::Hour).max(stamp(Field::AmPm));
        }
        if best != 0 {
            if best == hour_of_day {
                mask.add(Field::HourOfDay);
            } else {
                mask.add(Field::Hour);
                if stamp(Field::AmPm) != 0 {
                    mask.add(Field::AmPm);
                }
            }
        }
        mask
    }
}

/// A set of fields.
#[derive(Clone, Copy, Debug, Default)]
struct FieldMask(u32);

impl FieldMask {
    /// Adds a field.
    fn add(&mut self, field: Field) {
        self.0 |= 1 << field as u32;
    }

    /// Whether the set holds a field.
    fn has(self, field: Field) -> bool {
        self.0 & (1 << field as u32) != 0
    }
}

/// An ISO day of the week (1 Monday, 7 Sunday) as a `Calendar` one (1 Sunday); a lenient value
/// outside 1-7 stays as it is.
pub fn iso_to_calendar_day_of_week(day: i64) -> i64 {
    match day {
        7 => SUNDAY,
        1..=6 => day + 1,
        other => other,
    }
}

/// An `i64` narrowed to an `i32` field value, saturating.
pub fn clamp_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

/// The same time of day `years` years later (earlier when negative), on the same day of the
/// month or, past its end, the month's last day, as `GregorianCalendar.add(YEAR, years)`.
pub fn plus_years(millis: i64, years: i64) -> i64 {
    let fields = CalendarFields::at(millis);
    let year = fields.normalized_year + years;
    let month = fields.month + 1;
    let day = fields
        .day_of_month
        .min(month_length(Calendar::for_year(year), year, month));
    (hybrid_fixed_date(year, month, day) - EPOCH_FIXED_DATE) * MILLIS_PER_DAY + millis.rem_euclid(MILLIS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant of a date and time, set field by field as a lenient calendar takes them.
    fn instant(year: i32, month: i32, day: i32, hour: i32) -> Option<i64> {
        let mut builder = CalendarBuilder::default();
        builder.set(Field::Year, year);
        builder.set(Field::Month, month - 1);
        builder.set(Field::DayOfMonth, day);
        builder.set(Field::HourOfDay, hour);
        builder.resolve()
    }

    fn civil(millis: i64) -> (i64, i64, i64) {
        let fields = CalendarFields::at(millis);
        (fields.normalized_year, fields.month + 1, fields.day_of_month)
    }

    #[test]
    fn fields_resolve_leniently_in_the_calendar_of_their_day() {
        assert_eq!(instant(2024, 1, 1, 0), Some(1_704_067_200_000));
        assert_eq!(instant(2024, 13, 45, 0), Some(1_739_491_200_000));
        assert_eq!(instant(1582, 10, 10, 0), Some(-12_218_860_800_000));
        assert_eq!(instant(1582, 10, 4, 0), Some(-12_219_379_200_000));
        assert_eq!(instant(1582, 10, 15, 0), Some(-12_219_292_800_000));
        assert_eq!(instant(2024, 1, 1, -1), Some(1_704_063_600_000));
        let mut time_only = CalendarBuilder::default();
        time_only.set(Field::HourOfDay, 99);
        assert_eq!(time_only.resolve(), Some(356_400_000));
    }

    #[test]
    fn old_days_are_julian() {
        for (year, month, day) in [
            (1582, 10, 4),
            (1582, 10, 15),
            (1000, 2, 29),
            (2000, 2, 29),
            (1900, 3, 1),
        ] {
            let millis = instant(year, month, day, 0).unwrap();
            assert_eq!(civil(millis), (i64::from(year), i64::from(month), i64::from(day)));
        }
        assert_eq!(civil(instant(0, 3, 1, 0).unwrap()), (0, 3, 1));
        assert_eq!(CalendarFields::at(-62_198_755_200_000).year_of_era(), 2);
    }

    #[test]
    fn years_are_added_keeping_the_day_where_the_month_has_it() {
        let leap_day = instant(2024, 2, 29, 10).unwrap();
        assert_eq!(civil(plus_years(leap_day, -80)), (1944, 2, 29));
        assert_eq!(civil(plus_years(leap_day, -1)), (2023, 2, 28));
        assert_eq!(plus_years(leap_day, -1).rem_euclid(MILLIS_PER_DAY), 36_000_000);
    }
}
