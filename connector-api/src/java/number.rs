//! Java's numbers as text, as Kafka Connect reads and writes them: `Character.digit`,
//! `Long.parseLong`, `Double.parseDouble` and `Float.parseFloat` (with hexadecimal literals and
//! `f`/`d` suffixes), `Double.toString` and `Float.toString`, and the integers that
//! `SimpleDateFormat`'s `DecimalFormat` reads.

/// The first code point of each run of ten Unicode decimal digits that Java's
/// `Character.digit(char, 10)` reads (Java reads UTF-16 units, so only those of the Basic
/// Multilingual Plane).
const DIGIT_ZEROS: [u32; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6,
    0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
    0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
];

/// The value of a decimal digit of any script, as Java's `Character.digit(c, 10)`.
pub fn digit(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    let code = u32::from(c);
    let run = DIGIT_ZEROS.partition_point(|zero| *zero <= code).checked_sub(1)?;
    let value = code - DIGIT_ZEROS.get(run)?;
    (value < 10).then_some(value)
}

/// `Long.parseLong(text)`: an optional sign and decimal digits of any script, nothing else;
/// `None` where Java throws a `NumberFormatException` (including overflow).
pub fn parse_long(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() {
        return None;
    }
    let mut magnitude: i128 = 0;
    for c in digits.chars() {
        magnitude = magnitude * 10 + i128::from(digit(c)?);
        if magnitude > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// `Double.toString(value)`, as Java 19 and later write it (see [`float_to_string`]).
pub fn double_to_string(value: f64) -> String {
    java_text(value)
}

/// `Float.toString(value)`, as Java 19 and later write it: the decimal nearest to the value
/// among the shortest that read back as it (two digits where one would do: `4.9E-324`), plain
/// from 10^-3 to 10^7 and in computerized scientific notation (`1.0E10`) otherwise, always with
/// a digit after the point. Java 17 writes a few values with more digits than needed
/// (`2.82879384806159008E17`); Kafka Connect 4 runs on either.
pub fn float_to_string(value: f32) -> String {
    java_text(value)
}

/// What formatting needs of a float type.
trait JavaFloat: Copy {
    /// Whether it is NaN.
    fn nan(self) -> bool;
    /// Whether it is negative (zero included).
    fn negative(self) -> bool;
    /// Whether it is infinite.
    fn infinite(self) -> bool;
    /// Whether it is zero.
    fn zero(self) -> bool;
    /// Its magnitude in Rust's shortest scientific form (`None`) or with that many digits after
    /// the point.
    fn scientific(self, precision: Option<usize>) -> String;
    /// Whether `text` reads back as its magnitude.
    fn reads_back(self, text: &str) -> bool;
}

/// Implements [`JavaFloat`] for a primitive float type.
macro_rules! java_float {
    ($float:ty) => {
        impl JavaFloat for $float {
            fn nan(self) -> bool {
                self.is_nan()
            }
            fn negative(self) -> bool {
                self.is_sign_negative()
            }
            fn infinite(self) -> bool {
                self.is_infinite()
            }
            fn zero(self) -> bool {
                self == 0.0
            }
            fn scientific(self, precision: Option<usize>) -> String {
                match precision {
                    None => format!("{:e}", self.abs()),
                    Some(p) => format!("{:.p$e}", self.abs()),
                }
            }
            fn reads_back(self, text: &str) -> bool {
                text.parse::<$float>() == Ok(self.abs())
            }
        }
    };
}

java_float!(f32);
java_float!(f64);

/// A float's decimal digits (without trailing zeros) and the power of ten of the first.
struct Digits {
    /// The significant digits.
    digits: String,
    /// The exponent of the first digit.
    exponent: i32,
}

impl Digits {
    /// The digits of Rust's scientific form (`1.50e-7`).
    fn of_scientific(text: &str) -> Self {
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        Digits {
            digits: mantissa.replace('.', "").trim_end_matches('0').to_owned(),
            exponent: exponent.parse().unwrap_or(0),
        }
    }

    /// The fewest digits that read back as the value, the closest such (ties to even), but two
    /// when one would do. Rust's shortest form may take the upper of two equally close
    /// candidates; the correctly rounded one of the same length is the closest, when it reads
    /// back.
    fn shortest(value: impl JavaFloat) -> Self {
        let shortest = Digits::of_scientific(&value.scientific(None));
        let rounded = value.scientific(Some(shortest.digits.len().max(2) - 1));
        if value.reads_back(&rounded) {
            Digits::of_scientific(&rounded)
        } else {
            shortest
        }
    }
}

/// Java's text of a float: plain between 10^-3 and 10^7, in computerized scientific notation
/// otherwise, always with a digit after the point.
fn java_text(value: impl JavaFloat) -> String {
    if value.nan() {
        return "NaN".to_owned();
    }
    let sign = if value.negative() { "-" } else { "" };
    if value.infinite() {
        return format!("{sign}Infinity");
    }
    if value.zero() {
        return format!("{sign}0.0");
    }
    let Digits { digits, exponent } = Digits::shortest(value);
    let or_zero = |s: &str| if s.is_empty() { "0".to_owned() } else { s.to_owned() };
    if (-3..7).contains(&exponent) {
        if exponent < 0 {
            let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
            return format!("{sign}0.{zeros}{digits}");
        }
        let integer_len = exponent as usize + 1;
        let padded = format!("{digits:0<integer_len$}");
        let (integer, fraction) = padded.split_at(integer_len);
        return format!("{sign}{integer}.{}", or_zero(fraction));
    }
    let (first, rest) = digits.split_at(1.min(digits.len()));
    format!("{sign}{first}.{}E{exponent}", or_zero(rest))
}

/// `Double.parseDouble(text)`; `None` where Java throws a `NumberFormatException`.
pub fn parse_double(text: &str) -> Option<f64> {
    Some(match FloatLiteral::read(text)? {
        FloatLiteral::NaN => f64::NAN,
        FloatLiteral::Infinity { negative: true } => f64::NEG_INFINITY,
        FloatLiteral::Infinity { negative: false } => f64::INFINITY,
        FloatLiteral::Decimal(text) => text.parse().ok()?,
        FloatLiteral::Hex(hex) => f64::from_bits(hex.to_bits(52, 11)),
    })
}

/// `Float.parseFloat(text)` (rounded once, straight to a float).
pub fn parse_float(text: &str) -> Option<f32> {
    Some(match FloatLiteral::read(text)? {
        FloatLiteral::NaN => f32::NAN,
        FloatLiteral::Infinity { negative: true } => f32::NEG_INFINITY,
        FloatLiteral::Infinity { negative: false } => f32::INFINITY,
        FloatLiteral::Decimal(text) => text.parse().ok()?,
        FloatLiteral::Hex(hex) => f32::from_bits(u32::try_from(hex.to_bits(23, 8)).ok()?),
    })
}

/// A floating-point literal as Java's `FloatingDecimal.readJavaFormatString` accepts it.
enum FloatLiteral<'a> {
    /// `NaN` (with any sign).
    NaN,
    /// `Infinity`.
    Infinity {
        /// Whether it is `-Infinity`.
        negative: bool,
    },
    /// A decimal literal, without surrounding spaces or suffix, in a form Rust's parser reads.
    Decimal(&'a str),
    /// A hexadecimal literal (`0x1.8p3`).
    Hex(HexFloat),
}

impl<'a> FloatLiteral<'a> {
    /// Reads a literal: trimmed of control characters and spaces, an optional sign, then `NaN`,
    /// `Infinity`, a hexadecimal literal, or digits with an optional point and exponent, and an
    /// optional `f`, `F`, `d` or `D`.
    fn read(text: &'a str) -> Option<Self> {
        let text = super::string::trim(text);
        let (negative, unsigned) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        match unsigned {
            "NaN" => return Some(FloatLiteral::NaN),
            "Infinity" => return Some(FloatLiteral::Infinity { negative }),
            _ => {}
        }
        if let Some(hex) = unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X")) {
            return HexFloat::read(negative, hex).map(FloatLiteral::Hex);
        }
        let body = unsigned.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(unsigned);
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(at) => (&body[..at], Some(&body[at + 1..])),
            None => (body, None),
        };
        let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let valid_mantissa =
            all_digits(integer) && all_digits(fraction) && !(integer.is_empty() && fraction.is_empty());
        let valid_exponent = exponent.is_none_or(|e| {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            !digits.is_empty() && all_digits(digits)
        });
        (valid_mantissa && valid_exponent)
            .then(|| FloatLiteral::Decimal(&text[..text.len() - (unsigned.len() - body.len())]))
    }
}

/// A hexadecimal literal's value: `mantissa × 2^exponent`, with `sticky` set when digits beyond
/// the mantissa's were not zero.
struct HexFloat {
    /// Whether it is negative.
    negative: bool,
    /// Its leading significant bits (at most 60).
    mantissa: u64,
    /// Whether any bit below them was set.
    sticky: bool,
    /// The power of two the mantissa is scaled by.
    exponent: i64,
}

impl HexFloat {
    /// Reads what follows `0x`: hex digits with an optional point, then `p` and a decimal
    /// exponent (required), then an optional suffix.
    fn read(negative: bool, text: &str) -> Option<Self> {
        let text = text.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(text);
        let (significand, exponent) = text.split_once(['p', 'P'])?;
        let exponent_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if exponent_digits.is_empty() || !exponent_digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let binary_exponent = exponent_digits
            .bytes()
            .fold(0i64, |e, b| e.saturating_mul(10).saturating_add(i64::from(b - b'0')));
        let binary_exponent = if exponent.starts_with('-') {
            -binary_exponent
        } else {
            binary_exponent
        };
        let (integer, fraction) = significand.split_once('.').unwrap_or((significand, ""));
        if integer.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut value = HexFloat {
            negative,
            mantissa: 0,
            sticky: false,
            exponent: binary_exponent,
        };
        let mut kept = 0;
        for (c, in_fraction) in integer
            .chars()
            .map(|c| (c, false))
            .chain(fraction.chars().map(|c| (c, true)))
        {
            let digit = u64::from(c.to_digit(16)?);
            if value.mantissa == 0 && digit == 0 {
                if in_fraction {
                    value.exponent = value.exponent.saturating_sub(4);
                }
            } else if kept < 15 {
                value.mantissa = value.mantissa << 4 | digit;
                kept += 1;
                if in_fraction {
                    value.exponent = value.exponent.saturating_sub(4);
                }
            } else {
                value.sticky |= digit != 0;
                if !in_fraction {
                    value.exponent = value.exponent.saturating_add(4);
                }
            }
        }
        Some(value)
    }

    /// The IEEE 754 bits of the value rounded to nearest (ties to even) in a format with
    /// `fraction_bits` stored fraction bits and `exponent_bits` exponent bits (52 and 11 for a
    /// double).
    fn to_bits(&self, fraction_bits: u32, exponent_bits: u32) -> u64 {
        let bias = (1i64 << (exponent_bits - 1)) - 1;
        let sign = u64::from(self.negative) << (fraction_bits + exponent_bits);
        let infinity = ((1u64 << exponent_bits) - 1) << fraction_bits;
        if self.mantissa == 0 {
            return sign;
        }
        let length = i64::from(64 - self.mantissa.leading_zeros());
        let exponent = self.exponent.saturating_add(length - 1);
        if exponent > bias {
            return sign | infinity;
        }
        // Below the smallest normal exponent, subnormals keep fewer bits.
        let min_exponent = 1 - bias;
        let precision = i64::from(fraction_bits) + 1 - (min_exponent - exponent).max(0);
        let shift = length - precision;
        let kept = if shift <= 0 {
            self.mantissa << -shift
        } else if shift >= 64 {
            0
        } else {
            let kept = self.mantissa >> shift;
            let rest = self.mantissa & ((1 << shift) - 1);
            let half = 1 << (shift - 1);
            let round_up = rest > half || (rest == half && (self.sticky || kept & 1 == 1));
            kept + u64::from(round_up)
        };
        // A carry out of the fraction moves into the exponent, up to infinity.
        let bits = if exponent >= min_exponent {
            (((exponent + bias) as u64) << fraction_bits) + (kept - (1 << fraction_bits))
        } else {
            kept
        };
        sign | bits.min(infinity)
    }
}

/// Reads an integer at `pos` as the integer-only `DecimalFormat` of `SimpleDateFormat` reads it
/// (no grouping): an optional `-`, digits of any script, and an exponent (`E3`) taken into
/// account; `NaN` reads as 0 and `∞` as the largest `int`. The value is `Number.intValue()` of
/// what Java reads, with where the number ends; `None` when no digit is there.
pub fn parse_format_integer(text: &[char], pos: usize) -> Option<(i32, usize)> {
    let at = |i: usize| text.get(i).copied();
    if text.get(pos..pos + 3) == Some(&['N', 'a', 'N'][..]) {
        return Some((0, pos + 3));
    }
    let mut i = pos;
    let negative = at(i) == Some('-');
    if negative {
        i += 1;
    }
    if at(i) == Some('∞') {
        return Some((if negative { i32::MIN } else { i32::MAX }, i + 1));
    }
    let mut digits = String::new();
    let mut saw_digit = false;
    while let Some(value) = at(i).and_then(digit) {
        saw_digit = true;
        if !(digits.is_empty() && value == 0) {
            digits.push(char::from(b'0' + value as u8));
        }
        i += 1;
    }
    if !saw_digit {
        return None;
    }
    let mut decimal_at = digits.len() as i64;
    if at(i) == Some('E') {
        // An exponent counts when digits (fitting a long) follow; Java keeps it in an int.
        let mut j = i + 1;
        let exponent_negative = at(j) == Some('-');
        if exponent_negative {
            j += 1;
        }
        let exponent_start = j;
        let mut exponent = Some(0i64);
        while let Some(d) = at(j).and_then(digit) {
            exponent = exponent.and_then(|e| e.checked_mul(10)?.checked_add(i64::from(d)));
            j += 1;
        }
        if let Some(exponent) = exponent.filter(|_| j > exponent_start) {
            let exponent = i64::from(exponent as i32);
            decimal_at += if exponent_negative { -exponent } else { exponent };
            i = j;
        }
    }
    Some((int_value(negative, &digits, decimal_at), i))
}

/// `Number.intValue()` of the number `0.digits × 10^decimal_at`: a `Long`'s low 32 bits when it
/// is an integer that fits, else a `Double` narrowed with saturation.
fn int_value(negative: bool, digits: &str, decimal_at: i64) -> i32 {
    let significant = digits.trim_end_matches('0');
    if significant.is_empty() {
        return 0;
    }
    let count = significant.len() as i64;
    if (count..=19).contains(&decimal_at) {
        let scale = 10i128.pow((decimal_at - count) as u32);
        if let Ok(unscaled) = significant.parse::<i128>() {
            let value = if negative { -unscaled * scale } else { unscaled * scale };
            if let Ok(long) = i64::try_from(value) {
                return long as i32;
            }
        }
    }
    let double: f64 = format!("0.{significant}e{decimal_at}").parse().unwrap_or(0.0);
    (if negative { -double } else { double }) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_floats_write_as_java_writes_them() {
        for (value, text) in [
            (100.0, "100.0"),
            (1e-5, "1.0E-5"),
            (12_345_678.9, "1.23456789E7"),
            (-0.0, "-0.0"),
            (0.001, "0.001"),
            (1e7, "1.0E7"),
            (1e21, "1.0E21"),
            (1234567.0, "1234567.0"),
            (-2.75, "-2.75"),
            (5e-324, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.100_000_023_841_858, "1.100000023841858"),
            // Java 17 writes 2.82879384806159008E17.
            (2.828_793_848_061_59e17, "2.82879384806159E17"),
            (9_007_199_254_740_992.0, "9.007199254740992E15"),
        ] {
            assert_eq!(double_to_string(value), text);
        }
        assert!(double_to_string(f64::NAN) == "NaN");
        assert_eq!(float_to_string(1e10), "1.0E10");
        assert_eq!(float_to_string(1.5), "1.5");
        assert_eq!(float_to_string(1.1), "1.1");
        assert_eq!(float_to_string(std::f32::consts::PI), "3.1415927");
        assert_eq!(float_to_string(f32::from_bits(1)), "1.4E-45");
        // Java 17 writes 1.23456792E8.
        assert_eq!(float_to_string(123_456_792.0), "1.2345679E8");
        assert_eq!(float_to_string(-3_130_645.2), "-3130645.2");
        // 359427.125, halfway between two shortest decimals: the even one.
        assert_eq!(float_to_string(f32::from_bits(0x48af_8064)), "359427.12");
    }

    #[test]
    fn floats_parse_as_java_parses_them() {
        assert_eq!(parse_double(" 2.5 "), Some(2.5));
        assert_eq!(parse_double("1.5f"), Some(1.5));
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("5."), Some(5.0));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double("0x1p3"), Some(8.0));
        assert_eq!(parse_double("0x.8p1"), Some(1.0));
        assert_eq!(parse_double("-0x1.8P-1d"), Some(-0.75));
        assert_eq!(parse_double("0x1p-1074"), Some(5e-324));
        assert_eq!(parse_double("0x1p-1075"), Some(0.0));
        assert_eq!(parse_double("0x1.8p-1075"), Some(5e-324));
        assert_eq!(parse_double("0x1p1024"), Some(f64::INFINITY));
        assert_eq!(parse_double("0x1.fffffffffffff8p1023"), Some(f64::INFINITY));
        assert_eq!(parse_float("0x1.000001p0"), Some(1.0));
        assert_eq!(parse_float("0x1.000003p0"), Some(1.000_000_2));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        for bad in ["", "2.5x", "inf", "nan", "1e", ".", "0x1", "1_0", "1.5ff", "+"] {
            assert_eq!(parse_double(bad), None, "{bad}");
        }
    }

    #[test]
    fn longs_and_digits_read_as_java_reads_them() {
        assert_eq!(parse_long("+5"), Some(5));
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_long("١٢"), Some(12));
        for bad in ["", "-", " 5", "0x10", "1.5"] {
            assert_eq!(parse_long(bad), None, "{bad}");
        }
        assert_eq!(digit('٤'), Some(4));
        assert_eq!(digit('x'), None);
    }

    #[test]
    fn format_integers_read_as_decimal_format_reads_them() {
        let read = |text: &str| parse_format_integer(&text.chars().collect::<Vec<_>>(), 0);
        assert_eq!(read("2024-01"), Some((2024, 4)));
        assert_eq!(read("-7x"), Some((-7, 2)));
        assert_eq!(read("10E3"), Some((10_000, 4)));
        assert_eq!(read("1E"), Some((1, 1)));
        assert_eq!(read("NaN"), Some((0, 3)));
        assert_eq!(read("4294967297"), Some((1, 10)));
        assert_eq!(read("x"), None);
    }
}
