//! Decimal numbers: `numeric` and `money` text read as an exact decimal, and written as Kafka
//! Connect's Decimal bytes, Debezium's VariableScaleDecimal, a double or text.

/// A decimal read exactly: its digits without the point, and how many of them follow the point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Decimal digits, most significant first, without leading zeros (empty for zero).
    digits: Vec<u8>,
    scale: u32,
}

impl Decimal {
    /// Zero, with `scale` digits after the point.
    pub fn zero(scale: u32) -> Decimal {
        Decimal {
            negative: false,
            digits: Vec::new(),
            scale,
        }
    }

    /// Reads `[-]digits[.digits]`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
        if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: Vec<u8> = int
            .bytes()
            .chain(frac.bytes())
            .map(|b| b - b'0')
            .skip_while(|d| *d == 0)
            .collect();
        Some(Decimal {
            negative: negative && !digits.is_empty(),
            digits,
            scale: frac.len() as u32,
        })
    }

    /// The same number at `scale`, rounded half up when digits are dropped (as Java's
    /// `setScale(scale, HALF_UP)`).
    pub fn with_scale(mut self, scale: u32) -> Decimal {
        if scale >= self.scale {
            self.digits
                .extend(std::iter::repeat_n(0, (scale - self.scale) as usize));
        } else {
            let drop = (self.scale - scale) as usize;
            let keep = self.digits.len().saturating_sub(drop);
            let round_up = self.digits.get(keep).is_some_and(|d| *d >= 5) && self.digits.len() >= drop;
            self.digits.truncate(keep);
            if round_up {
                let mut carry = true;
                for d in self.digits.iter_mut().rev() {
                    if *d == 9 {
                        *d = 0;
                    } else {
                        *d += 1;
                        carry = false;
                        break;
                    }
                }
                if carry {
                    self.digits.insert(0, 1);
                }
            }
        }
        self.scale = scale;
        let leading = self.digits.iter().take_while(|d| **d == 0).count();
        self.digits.drain(..leading);
        self.negative &= !self.digits.is_empty();
        self
    }

    /// The same number without trailing zeros after the point (Java's `stripTrailingZeros`,
    /// then a negative scale set back to 0).
    pub fn stripped(mut self) -> Decimal {
        while self.scale > 0 && self.digits.last() == Some(&0) {
            self.digits.pop();
            self.scale -= 1;
        }
        if self.digits.is_empty() {
            self.scale = 0;
        }
        self
    }

    /// The scale.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The unscaled value as big-endian two's-complement bytes, as short as they can be (Java's
    /// `BigInteger.toByteArray`).
    pub fn unscaled_bytes(&self) -> Vec<u8> {
        let mut decimal = self.digits.clone();
        // Base 10 to base 256 by repeated division.
        let mut bytes = Vec::new();
        while decimal.iter().any(|d| *d != 0) {
            let mut remainder = 0u32;
            for d in decimal.iter_mut() {
                let current = remainder * 10 + u32::from(*d);
                *d = (current / 256) as u8;
                remainder = current % 256;
            }
            bytes.push(remainder as u8);
        }
        bytes.reverse();
        if bytes.first().is_none_or(|b| b & 0x80 != 0) {
            bytes.insert(0, 0);
        }
        if self.negative {
            for b in bytes.iter_mut() {
                *b = !*b;
            }
            for b in bytes.iter_mut().rev() {
                let (sum, carry) = b.overflowing_add(1);
                *b = sum;
                if !carry {
                    break;
                }
            }
            while bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0x80 != 0 {
                bytes.remove(0);
            }
        }
        bytes
    }

    /// The number as plain text (no exponent), with its scale's digits.
    pub fn plain(&self) -> String {
        let scale = self.scale as usize;
        let mut digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        if digits.len() <= scale {
            digits = format!("{}{digits}", "0".repeat(scale + 1 - digits.len()));
        }
        let (int, frac) = digits.split_at(digits.len() - scale);
        let sign = if self.negative { "-" } else { "" };
        if frac.is_empty() {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac}")
        }
    }

    /// The nearest double.
    pub fn to_f64(&self) -> f64 {
        self.plain().parse().unwrap_or(f64::NAN)
    }
}

/// A `money` text (`$1,234.57`, `-$12.50`, `($12.50)`) as a decimal, read as pgjdbc's
/// `PostgresMoney.parse` does: without parentheses, sign, one currency character and commas.
pub fn parse_money(text: &str) -> Option<Decimal> {
    let trimmed = text.trim();
    let parenthesized = trimmed.starts_with('(') && trimmed.ends_with(')');
    let body = trimmed.trim_start_matches('(').trim_end_matches(')');
    let (negative, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (parenthesized, body),
    };
    let body = match body.chars().next() {
        Some(c) if !c.is_ascii_digit() => &body[c.len_utf8()..],
        _ => body,
    };
    let number: String = body.chars().filter(|c| *c != ',').collect();
    let sign = if negative { "-" } else { "" };
    Decimal::parse(&format!("{sign}{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn unscaled_values_are_twos_complement() {
        assert_eq!(d("12.34").unscaled_bytes(), vec![0x04, 0xd2]);
        assert_eq!(d("-12.34").unscaled_bytes(), vec![0xfb, 0x2e]);
        assert_eq!(d("1.5").with_scale(2).unscaled_bytes(), vec![0x00, 0x96]);
        assert_eq!(d("0").unscaled_bytes(), vec![0]);
        assert_eq!(d("-1").unscaled_bytes(), vec![0xff]);
        assert_eq!(d("-128").unscaled_bytes(), vec![0x80]);
        assert_eq!(d("128").unscaled_bytes(), vec![0x00, 0x80]);
        assert_eq!(d("12345678.90").unscaled_bytes(), vec![0x49, 0x96, 0x02, 0xd2]);
    }

    #[test]
    fn variable_scales_lose_their_trailing_zeros() {
        let s = |t: &str| {
            let x = d(t).stripped();
            (x.scale(), x.unscaled_bytes())
        };
        assert_eq!(s("1.50"), (1, vec![0x0f]));
        assert_eq!(s("100"), (0, vec![0x64]));
        assert_eq!(s("12000"), (0, vec![0x2e, 0xe0]));
        assert_eq!(s("-0.001"), (3, vec![0xff]));
        assert_eq!(s("0.000"), (0, vec![0]));
    }

    #[test]
    fn money_as_pgjdbc_reads_it() {
        assert_eq!(parse_money("$1,234.57").unwrap().plain(), "1234.57");
        assert_eq!(parse_money("-$12.50").unwrap().plain(), "-12.50");
        assert_eq!(parse_money("($12.50)").unwrap().plain(), "-12.50");
        assert_eq!(parse_money("$1,234.567").unwrap().with_scale(2).plain(), "1234.57");
        assert_eq!(d("2.5").with_scale(0).plain(), "3");
        assert_eq!(d("-2.5").with_scale(0).plain(), "-3");
        assert_eq!(d("9.99").with_scale(1).plain(), "10.0");
        assert_eq!(d("0.004").with_scale(2).plain(), "0.00");
    }
}
