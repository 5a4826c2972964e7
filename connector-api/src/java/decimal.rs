//! Java's `BigDecimal`, what Connect's Decimal logical type holds: read from a string as
//! `new BigDecimal(String)` reads it or from a Decimal's unscaled bytes, written as
//! `BigDecimal.toString()` or as those bytes (`BigInteger.toByteArray()`), and narrowed as
//! `Number`'s conversions narrow it.

use super::number::digit;

/// A decimal number: `(-1)^negative × digits × 10^-scale`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JavaDecimal {
    /// Whether it is below zero (or was written with a minus sign, for zero).
    negative: bool,
    /// The unscaled magnitude's ASCII digits, without leading zeros (empty for zero).
    digits: String,
    /// How many of the digits are after the decimal point (negative: zeros to append).
    scale: i32,
}

impl JavaDecimal {
    /// Reads `text` as `new BigDecimal(text)`: a sign, digits of any script with at most one
    /// point (at least one digit), and an optional exponent `e`/`E` with a sign; `None` where Java
    /// throws `NumberFormatException`.
    pub fn parse(text: &str) -> Option<Self> {
        let (negative, unsigned) = split_sign(text);
        let (significand, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((significand, exponent)) => (significand, Some(exponent)),
            None => (unsigned, None),
        };
        let (integer, fraction) = significand.split_once('.').unwrap_or((significand, ""));
        if integer.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut digits = String::with_capacity(integer.len() + fraction.len());
        for c in integer.chars().chain(fraction.chars()) {
            let value = digit(c)?;
            if value != 0 || !digits.is_empty() {
                digits.push(char::from_digit(value, 10)?);
            }
        }
        let exponent = match exponent {
            None => 0,
            Some(text) => parse_exponent(text)?,
        };
        let scale = i32::try_from(fraction.chars().count() as i64 - exponent).ok()?;
        Some(JavaDecimal {
            negative,
            digits,
            scale,
        })
    }

    /// The decimal of an unscaled value (big-endian two's complement, as Connect stores a
    /// Decimal) and a scale; `None` for no bytes (Java's `BigInteger` refuses them).
    pub fn from_unscaled(bytes: &[u8], scale: i32) -> Option<Self> {
        let negative = bytes.first()? & 0x80 != 0;
        let mut magnitude = bytes.to_vec();
        if negative {
            negate(&mut magnitude);
        }
        let digits = decimal_digits(&magnitude);
        Some(JavaDecimal {
            negative,
            digits: if digits == "0" { String::new() } else { digits },
            scale,
        })
    }

    /// The scale: how many digits of the unscaled value are after the point.
    pub fn scale(&self) -> i32 {
        self.scale
    }

    /// The same number at another scale (`setScale(scale)` without rounding), or `None` when
    /// that scale cannot hold it exactly.
    pub fn with_scale(&self, scale: i32) -> Option<Self> {
        let mut digits = self.digits.clone();
        if scale >= self.scale {
            if !digits.is_empty() {
                let zeros = usize::try_from(i64::from(scale) - i64::from(self.scale)).ok()?;
                digits.push_str(&"0".repeat(zeros));
            }
        } else {
            let dropped = usize::try_from(i64::from(self.scale) - i64::from(scale)).ok()?;
            let kept = digits.len().checked_sub(dropped);
            match kept {
                Some(kept) if digits[kept..].bytes().all(|d| d == b'0') => digits.truncate(kept),
                None if digits.is_empty() => {}
                _ => return None,
            }
        }
        Some(JavaDecimal {
            negative: self.negative,
            digits,
            scale,
        })
    }

    /// `BigDecimal.toString()`: plain unless the scale is negative or the number is below
    /// 10^-6, then in scientific notation (`1.23E-7`, `1E+3`).
    pub fn to_java_string(&self) -> String {
        let sign = if self.negative && !self.digits.is_empty() {
            "-"
        } else {
            ""
        };
        let digits = if self.digits.is_empty() { "0" } else { &self.digits };
        if self.scale == 0 {
            return format!("{sign}{digits}");
        }
        let scale = i64::from(self.scale);
        let adjusted = -scale + (digits.len() as i64 - 1);
        if scale > 0 && adjusted >= -6 {
            let pad = scale - digits.len() as i64;
            return if pad >= 0 {
                format!("{sign}0.{}{digits}", "0".repeat(pad as usize))
            } else {
                let (integer, fraction) = digits.split_at(digits.len() - scale as usize);
                format!("{sign}{integer}.{fraction}")
            };
        }
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if adjusted > 0 { "+" } else { "" };
        format!("{sign}{first}{point}{rest}E{exponent_sign}{adjusted}")
    }

    /// `BigDecimal.longValue()`: the integer part's low 64 bits (`intValue()` and the narrower
    /// conversions take theirs from it).
    pub fn long_value(&self) -> i64 {
        let scale = i64::from(self.scale);
        let integer_digits = (self.digits.len() as i64 - scale).max(0) as usize;
        let mut value = self
            .digits
            .bytes()
            .take(integer_digits)
            .fold(0u64, |v, d| v.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
        // 10^64 is a multiple of 2^64: past 64 more zeros no low bit is left.
        for _ in 0..(-scale).clamp(0, 64) {
            value = value.wrapping_mul(10);
        }
        let value = value as i64;
        if self.negative { value.wrapping_neg() } else { value }
    }

    /// The value as a long if it is a whole number from -10^19 to 10^19 that a long holds, as
    /// `Values` tries first (zero, and whole numbers of magnitude at least one).
    pub fn exact_long(&self) -> Option<i64> {
        if self.digits.is_empty() {
            return Some(0);
        }
        let scale = i64::from(self.scale);
        // The power of ten of the leading digit.
        let leading = self.digits.len() as i64 - 1 - scale;
        let beyond_ten_to_the_19 = leading > 19 || (leading == 19 && self.digits.trim_end_matches('0') != "1");
        if leading < 0 || beyond_ten_to_the_19 {
            return None;
        }
        let trailing_zeros = (self.digits.len() - self.digits.trim_end_matches('0').len()) as i64;
        if scale > trailing_zeros {
            return None;
        }
        // At most twenty digits: 10^19 itself.
        let integer_digits = self
            .digits
            .get(..(leading + 1).min(self.digits.len() as i64) as usize)?;
        let mut magnitude: i128 = integer_digits.parse().ok()?;
        for _ in self.digits.len() as i64..leading + 1 {
            magnitude *= 10;
        }
        i64::try_from(if self.negative { -magnitude } else { magnitude }).ok()
    }

    /// `BigDecimal.doubleValue()` (correctly rounded).
    pub fn to_f64(&self) -> f64 {
        self.scientific().parse().unwrap_or(f64::NAN)
    }

    /// `BigDecimal.floatValue()` (correctly rounded).
    pub fn to_f32(&self) -> f32 {
        self.scientific().parse().unwrap_or(f32::NAN)
    }

    /// The value as `[-]digitsE-scale`, for Rust's float parsers.
    fn scientific(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        let digits = if self.digits.is_empty() { "0" } else { &self.digits };
        format!("{sign}{digits}e{}", -i64::from(self.scale))
    }

    /// The unscaled value as a Decimal's bytes: big-endian two's complement, in as few bytes as
    /// hold it.
    pub fn unscaled_bytes(&self) -> Vec<u8> {
        let mut magnitude: Vec<u8> = Vec::new();
        for value in self.digits.bytes().map(|b| b - b'0') {
            let mut carry = u32::from(value);
            for byte in magnitude.iter_mut().rev() {
                let product = u32::from(*byte) * 10 + carry;
                *byte = (product & 0xff) as u8;
                carry = product >> 8;
            }
            while carry > 0 {
                magnitude.insert(0, (carry & 0xff) as u8);
                carry >>= 8;
            }
        }
        let mut bytes = Vec::with_capacity(magnitude.len() + 1);
        bytes.push(0);
        bytes.extend_from_slice(&magnitude);
        if self.negative && !magnitude.is_empty() {
            negate(&mut bytes);
        }
        // Drop leading bytes that only repeat the sign of the next.
        let redundant = bytes
            .windows(2)
            .take_while(|pair| {
                matches!(pair, [0x00, next] if next & 0x80 == 0) || matches!(pair, [0xff, next] if next & 0x80 != 0)
            })
            .count();
        bytes.split_off(redundant)
    }
}

/// A number's sign (`-` or `+`, optional) and the rest.
fn split_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    }
}

/// An exponent's value (`NumberFormatException` beyond an int, as Java).
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = split_sign(text);
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars() {
        value = value * 10 + i64::from(digit(c)?);
        if value > i64::from(i32::MAX) {
            return None;
        }
    }
    Some(if negative { -value } else { value })
}

/// Negates a big-endian two's complement number in place (or takes the magnitude of a negative
/// one).
fn negate(bytes: &mut [u8]) {
    let mut carry = true;
    for byte in bytes.iter_mut().rev() {
        let (sum, overflow) = (!*byte).overflowing_add(u8::from(carry));
        *byte = sum;
        carry = overflow;
    }
}

/// The decimal digits of a big-endian unsigned magnitude ("0" when it is zero).
fn decimal_digits(magnitude: &[u8]) -> String {
    /// The base the magnitude is divided by, nine digits at a time.
    const CHUNK: u64 = 1_000_000_000;
    let mut remaining: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
    let mut chunks: Vec<u64> = Vec::new();
    while !remaining.is_empty() {
        let mut remainder: u64 = 0;
        for byte in remaining.iter_mut() {
            let current = (remainder << 8) | u64::from(*byte);
            *byte = (current / CHUNK) as u8;
            remainder = current % CHUNK;
        }
        chunks.push(remainder);
        let leading_zeros = remaining.iter().take_while(|b| **b == 0).count();
        remaining.drain(..leading_zeros);
    }
    let mut text = chunks.pop().map_or_else(|| "0".to_owned(), |c| c.to_string());
    for chunk in chunks.iter().rev() {
        text.push_str(&format!("{chunk:09}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> JavaDecimal {
        JavaDecimal::parse(text).unwrap()
    }

    fn unscaled(unscaled: i64, scale: i32) -> JavaDecimal {
        JavaDecimal::from_unscaled(&unscaled.to_be_bytes(), scale).unwrap()
    }

    #[test]
    fn strings_read_as_big_decimal_reads_them() {
        assert_eq!(decimal("1.50").scale(), 2);
        assert_eq!(decimal("1e10").scale(), -10);
        assert_eq!(decimal("1.5E-7").scale(), 8);
        assert_eq!(decimal("٤٢").exact_long(), Some(42));
        for bad in [
            "",
            "-",
            ".",
            "abc",
            "0x10",
            "1e",
            "1e+",
            "1.2.3",
            " 1",
            "1_000",
            "NaN",
            "Infinity",
            "1e2147483648",
        ] {
            assert_eq!(JavaDecimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn decimals_narrow_as_numbers_narrow() {
        let long = |text: &str| decimal(text).long_value();
        assert_eq!(long("1.9"), 1);
        assert_eq!(long("-1.9"), -1);
        assert_eq!(long("+.5E1"), 5);
        assert_eq!(long("1e100"), 0);
        assert_eq!(long("18446744073709551617"), 1);
        assert_eq!(unscaled(-1299, 2).long_value(), -12);
        assert_eq!(unscaled(1, -64).long_value(), 0);
        assert_eq!(decimal("-1.5").to_f64(), -1.5);
        assert_eq!(unscaled(1234, 2).to_f32(), 12.34);
        assert_eq!(decimal("-.5").exact_long(), None);
        assert_eq!(decimal("1.0").exact_long(), Some(1));
        assert_eq!(decimal("-0").exact_long(), Some(0));
        assert_eq!(decimal("1e19").exact_long(), None);
        assert_eq!(decimal("-9223372036854775808").exact_long(), Some(i64::MIN));
        assert_eq!(decimal("9223372036854775808").exact_long(), None);
        assert_eq!(decimal("1e18").exact_long(), Some(1_000_000_000_000_000_000));
    }

    #[test]
    fn decimals_write_as_big_decimal_writes_them() {
        assert_eq!(unscaled(-1230, 2).to_java_string(), "-12.30");
        assert_eq!(unscaled(1, 10).to_java_string(), "1E-10");
        assert_eq!(unscaled(1, 6).to_java_string(), "0.000001");
        assert_eq!(unscaled(123, -2).to_java_string(), "1.23E+4");
        assert_eq!(unscaled(1, -3).to_java_string(), "1E+3");
        assert_eq!(unscaled(0, 2).to_java_string(), "0.00");
        assert_eq!(unscaled(-128, 1).to_java_string(), "-12.8");
        let big = JavaDecimal::from_unscaled(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0], 0).unwrap();
        assert_eq!(big.to_java_string(), "-2361183241434822606848");
        assert_eq!(JavaDecimal::from_unscaled(&[], 0), None);
    }

    #[test]
    fn unscaled_values_are_minimal_twos_complement() {
        let bytes = |text: &str| decimal(text).unscaled_bytes();
        assert_eq!(bytes("0"), [0]);
        assert_eq!(bytes("-0"), [0]);
        assert_eq!(bytes("127"), [0x7f]);
        assert_eq!(bytes("128"), [0x00, 0x80]);
        assert_eq!(bytes("-128"), [0x80]);
        assert_eq!(bytes("-129"), [0xff, 0x7f]);
        assert_eq!(bytes("-12.30"), [0xfb, 0x32]);
        assert_eq!(
            bytes("99999999999999999999"),
            [0x05, 0x6b, 0xc7, 0x5e, 0x2d, 0x63, 0x0f, 0xff, 0xff]
        );
        let round_trip = JavaDecimal::from_unscaled(&bytes("-99999999999999999999"), 0).unwrap();
        assert_eq!(round_trip.to_java_string(), "-99999999999999999999");
    }

    #[test]
    fn scales_change_only_when_exact() {
        let at = |text: &str, scale| decimal(text).with_scale(scale).map(|d| d.unscaled_bytes());
        assert_eq!(at("0.5", 2), Some(vec![50]));
        assert_eq!(at("0.5", 0), None);
        assert_eq!(at("-2.500", 1), Some(vec![0xe7]));
        assert_eq!(at("0", 2), Some(vec![0]));
        assert_eq!(at("1e3", 0), Some(vec![0x03, 0xe8]));
    }
}
