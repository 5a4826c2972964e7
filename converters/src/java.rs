//! Java's text of floats, `Double.toString` and `Float.toString`, which Jackson writes for
//! JsonConverter's numbers and `String.valueOf` for StringConverter's: written on the stack, as
//! the JSON writer formats every float of every record. (The same text as
//! `weir_connector_api::java::number::double_to_string`, which builds it in strings.)

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// Text of at most `N` bytes, on the stack.
pub(crate) struct StackText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    /// Empty text.
    fn new() -> Self {
        StackText { bytes: [0; N], len: 0 }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // Only whole `str`s are ever written in.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for StackText<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A float type Java writes.
pub(crate) trait JavaFloat: Copy + PartialEq + FromStr + fmt::LowerExp {
    /// Whether it is NaN.
    fn nan(self) -> bool;
    /// Whether it is infinite.
    fn infinite(self) -> bool;
    /// Whether its sign is negative (zero included).
    fn negative(self) -> bool;
    /// Whether it is zero.
    fn zero(self) -> bool;
    /// Its magnitude.
    fn magnitude(self) -> Self;
}

/// Implements [`JavaFloat`] for a primitive float type.
macro_rules! java_float {
    ($float:ty) => {
        impl JavaFloat for $float {
            fn nan(self) -> bool {
                self.is_nan()
            }
            fn infinite(self) -> bool {
                self.is_infinite()
            }
            fn negative(self) -> bool {
                self.is_sign_negative()
            }
            fn zero(self) -> bool {
                self == 0.0
            }
            fn magnitude(self) -> Self {
                self.abs()
            }
        }
    };
}

java_float!(f32);
java_float!(f64);

/// Rust's scientific form of a magnitude (`1.5e-7`): with `precision` digits after the point,
/// or (`None`) the fewest that read back.
fn rust_scientific<F: JavaFloat>(magnitude: F, precision: Option<usize>) -> StackText<40> {
    let mut text = StackText::new();
    // At most 17 significant digits and a sign and three digits of exponent: it fits.
    let _ = match precision {
        None => write!(text, "{magnitude:e}"),
        Some(precision) => write!(text, "{magnitude:.precision$e}"),
    };
    text
}

/// The significant digits of a finite, non-zero magnitude, without trailing zeros, and the
/// power of ten of the first.
struct Digits {
    /// The digits, as ASCII.
    digits: [u8; 24],
    /// How many there are.
    len: usize,
    /// The exponent of the first digit.
    exponent: i32,
}

impl Digits {
    /// The digits of Rust's scientific form.
    fn of(scientific: &str) -> Self {
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
        let mut digits = Digits {
            digits: [b'0'; 24],
            len: 0,
            exponent: exponent.parse().unwrap_or(0),
        };
        for (slot, digit) in digits
            .digits
            .iter_mut()
            .zip(mantissa.bytes().filter(u8::is_ascii_digit))
        {
            *slot = digit;
            digits.len += 1;
        }
        while digits.len > 1 && digits.digits[digits.len - 1] == b'0' {
            digits.len -= 1;
        }
        digits
    }

    /// Java's digits: the fewest that read back as the value, the closest such, but two where
    /// one would do (`4.9E-324`, not `5E-324`). Rust's shortest form may take the farther of two
    /// equally short candidates; the correctly rounded one of that length is the closest, when
    /// it reads back.
    fn java<F: JavaFloat>(magnitude: F) -> Self {
        let shortest = Digits::of(rust_scientific(magnitude, None).as_str());
        let rounded = rust_scientific(magnitude, Some(shortest.len.max(2) - 1));
        if rounded.as_str().parse::<F>().is_ok_and(|value| value == magnitude) {
            Digits::of(rounded.as_str())
        } else {
            shortest
        }
    }

    /// The digits from `from` on (none past the end).
    fn from(&self, from: usize) -> &str {
        std::str::from_utf8(self.digits.get(from..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Writes `zeros` zeros.
fn write_zeros(out: &mut impl fmt::Write, zeros: usize) -> fmt::Result {
    (0..zeros).try_for_each(|_| out.write_char('0'))
}

/// Writes a float as Java's `Double.toString` or `Float.toString` (as Java 19 and later write
/// them): the decimal nearest to the value among the shortest that read back as it, plain from
/// 10^-3 to 10^7 and in computerized scientific notation (`1.0E10`) otherwise, always with a
/// digit after the point; `NaN`, `Infinity`, `-0.0`.
pub(crate) fn write_java<F: JavaFloat>(out: &mut impl fmt::Write, value: F) -> fmt::Result {
    if value.nan() {
        return out.write_str("NaN");
    }
    if value.negative() {
        out.write_char('-')?;
    }
    if value.infinite() {
        return out.write_str("Infinity");
    }
    if value.zero() {
        return out.write_str("0.0");
    }
    let digits = Digits::java(value.magnitude());
    let exponent = digits.exponent;
    if !(-3..7).contains(&exponent) {
        out.write_str(digits.from(0).get(..1).unwrap_or("0"))?;
        out.write_char('.')?;
        let rest = digits.from(1);
        out.write_str(if rest.is_empty() { "0" } else { rest })?;
        return write!(out, "E{exponent}");
    }
    if exponent < 0 {
        out.write_str("0.")?;
        write_zeros(out, exponent.unsigned_abs() as usize - 1)?;
        return out.write_str(digits.from(0));
    }
    let integer_len = exponent as usize + 1;
    let all = digits.from(0);
    out.write_str(all.get(..integer_len).unwrap_or(all))?;
    write_zeros(out, integer_len.saturating_sub(all.len()))?;
    out.write_char('.')?;
    let fraction = digits.from(integer_len);
    out.write_str(if fraction.is_empty() { "0" } else { fraction })
}

/// A float's Java text, on the stack.
pub(crate) fn java_text<F: JavaFloat>(value: F) -> StackText<32> {
    let mut text = StackText::new();
    // The longest, `-1.7976931348623157E308` or `-0.0012345678901234567`, fits.
    let _ = write_java(&mut text, value);
    text
}

#[cfg(test)]
mod tests {
    use weir_connector_api::java::number::{double_to_string, float_to_string};

    use super::*;

    #[test]
    fn floats_are_written_as_java_writes_them() {
        for (value, text) in [
            (1e300, "1.0E300"),
            (2.5e-8, "2.5E-8"),
            (1e21, "1.0E21"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (1234567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (-0.0, "-0.0"),
            (5e-324, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(java_text(value).as_str(), text);
        }
        assert_eq!(java_text(1.1f32).as_str(), "1.1");
        assert_eq!(java_text(f32::from_bits(1)).as_str(), "1.4E-45");
        assert_eq!(java_text(1e10f32).as_str(), "1.0E10");
    }

    #[test]
    fn the_text_is_the_connector_apis_on_any_bits() {
        // A fixed sequence of bit patterns across every exponent, and the numbers near powers of
        // ten, where the form changes.
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            bits = bits
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let double = f64::from_bits(bits);
            assert_eq!(java_text(double).as_str(), double_to_string(double), "{bits:#x}");
            let float = f32::from_bits((bits >> 32) as u32);
            assert_eq!(java_text(float).as_str(), float_to_string(float), "{bits:#x}");
        }
        for exponent in -10..=25 {
            let power = 10f64.powi(exponent);
            let (above, below) = (f64::from_bits(power.to_bits() + 1), f64::from_bits(power.to_bits() - 1));
            for value in [power, above, below, -power * 1.5] {
                assert_eq!(java_text(value).as_str(), double_to_string(value));
            }
        }
    }
}
