//! Column defaults as Debezium puts them in schemas: the default expression (`pg_get_expr`, in
//! a session with the ISO styles) read as Debezium's `PostgresDefaultValueConverter` reads it,
//! for the types it has a reader for, then converted as a value of the column.

use weir_connector_api::Value;

use super::decimal::Decimal;
use super::temporal::format_timestamp;
use super::{DecimalMode, NamedString, PgType, Representation, TimeMode};

/// A function call (`nextval('s'::regclass)`, `now()`), whose value Debezium cannot know.
fn is_function(expression: &str) -> bool {
    let rest = expression.strip_prefix('(').unwrap_or(expression);
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        .count();
    name_len > 0 && rest[name_len..].starts_with('(') && rest[name_len + 1..].contains(')')
}

/// What Debezium reads out of an expression: the first quoted literal (`'it''s'::text` gives
/// `it's`), else the expression itself; `None` for `NULL::type`.
fn literal(expression: &str) -> Option<String> {
    let Some(start) = expression.find('\'') else {
        return (!expression.starts_with("NULL::")).then(|| expression.to_owned());
    };
    let mut out = String::new();
    let mut chars = expression[start + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next_if_eq(&'\'').is_none() {
            return Some(out);
        }
        out.push(c);
    }
    None
}

/// A default that Debezium gives a column whose default is generated (a function, or
/// `CURRENT_TIMESTAMP` and the like): its reader's placeholder.
fn generated(ty: &PgType, repr: &Representation) -> Option<Value> {
    Some(match ty {
        PgType::Bits(1) | PgType::Bool => Value::Boolean(false),
        PgType::Bits(_) => Value::Bytes(Vec::new()),
        PgType::Text | PgType::Named(NamedString::Xml) => Value::from(""),
        PgType::Named(NamedString::Json) => Value::from("{}"),
        PgType::Named(NamedString::Uuid) => Value::from("00000000-0000-0000-0000-000000000000"),
        PgType::TimestampTz(p) => Value::String(format_timestamp(0, Some(*p))),
        PgType::Numeric(_)
        | PgType::Float4
        | PgType::Float8
        | PgType::Int2
        | PgType::Int4
        | PgType::Int8
        | PgType::Date
        | PgType::Time(_)
        | PgType::Timestamp(_)
        | PgType::Interval => return numeric_placeholder(ty, repr),
        _ => return None,
    })
}

/// The zero of a numeric or temporal type, as its converter writes it.
fn numeric_placeholder(ty: &PgType, repr: &Representation) -> Option<Value> {
    let text = match ty {
        PgType::Numeric(_) => "0.0",
        PgType::Float4 | PgType::Float8 => "0",
        PgType::Int2 | PgType::Int4 | PgType::Int8 => "0",
        PgType::Date => "1970-01-01",
        PgType::Time(_) => "00:00:00",
        PgType::Timestamp(_) => "1970-01-01 00:00:00",
        PgType::Interval => "PT0S",
        _ => return None,
    };
    from_literal(ty, text, repr)
}

/// A literal read as a value of the column, as the reader of its type and then the column's
/// converter turn it.
fn from_literal(ty: &PgType, text: &str, repr: &Representation) -> Option<Value> {
    match ty {
        // Java's `Boolean.parseBoolean`.
        PgType::Bool => Some(Value::Boolean(text.eq_ignore_ascii_case("true"))),
        PgType::Bits(_) if text.len() == 1 => Some(Value::Boolean(text == "1")),
        PgType::Numeric(scale) => {
            // Java's `setScale` without rounding, which fails when digits would be lost.
            let decimal = Decimal::parse(text)?;
            let decimal = match scale {
                Some((_, s)) if decimal.scale() > *s => return None,
                Some((_, s)) => decimal.with_scale(*s),
                None => decimal,
            };
            match (repr.decimal, scale) {
                (DecimalMode::String, _) => Some(Value::String(decimal.plain())),
                (DecimalMode::Double, _) => Some(Value::Float64(decimal.to_f64())),
                // A VariableScaleDecimal is a struct, which Kafka Connect cannot have as a default.
                (DecimalMode::Precise, None) => None,
                (DecimalMode::Precise, Some(_)) => Some(Value::Bytes(decimal.unscaled_bytes())),
            }
        }
        PgType::Named(NamedString::Uuid) => Some(Value::String(text.to_ascii_lowercase())),
        PgType::Text | PgType::Named(NamedString::Json | NamedString::Xml) => Some(Value::from(text)),
        PgType::Time(_) if repr.time == TimeMode::IsoString => ty.value(text, repr).ok(),
        PgType::Bits(_)
        | PgType::Float4
        | PgType::Float8
        | PgType::Int2
        | PgType::Int4
        | PgType::Int8
        | PgType::Date
        | PgType::Time(_)
        | PgType::Timestamp(_)
        | PgType::TimestampTz(_)
        | PgType::Interval => ty.value(text.trim(), repr).ok(),
        _ => None,
    }
}

/// The schema default Debezium gives a column of type `ty` whose default expression is
/// `expression`; `None` when it gives none (no reader for the type, e.g. a domain, `money` or an
/// array; `NULL`; an expression it cannot read).
pub fn schema_default(ty: &PgType, domain: bool, expression: &str, repr: &Representation) -> Option<Value> {
    if domain {
        return None;
    }
    const CURRENT: [&str; 5] = [
        "current_timestamp",
        "current_time",
        "current_date",
        "localtime",
        "localtimestamp",
    ];
    if let PgType::Enum(_) = ty {
        // `'green'::color`: the literal before the cast.
        let (value, _) = expression.rsplit_once("::")?;
        return value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .map(Value::from);
    }
    if is_function(expression) || CURRENT.contains(&expression.to_ascii_lowercase().as_str()) {
        return generated(ty, repr);
    }
    from_literal(ty, &literal(expression)?, repr)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Representation = Representation::DEFAULT;

    fn default(ty: PgType, expression: &str) -> Option<Value> {
        schema_default(&ty, false, expression, &P)
    }

    #[test]
    fn literals_and_functions() {
        assert!(is_function("nextval('t_id_seq'::regclass)"));
        assert!(is_function("now()"));
        assert!(!is_function("'abc'::text"));
        assert_eq!(literal("'it''s'::text").as_deref(), Some("it's"));
        assert_eq!(literal("NULL::text"), None);
        assert_eq!(literal("42").as_deref(), Some("42"));
    }

    #[test]
    fn defaults_as_debezium_gives_them() {
        assert_eq!(
            default(PgType::Int4, "nextval('t_id_seq'::regclass)"),
            Some(Value::Int32(0))
        );
        assert_eq!(default(PgType::Int4, "5"), Some(Value::Int32(5)));
        assert_eq!(default(PgType::Int2, "'-3'::integer"), Some(Value::Int16(-3)));
        assert_eq!(
            default(PgType::Text, "'hello'::character varying"),
            Some(Value::from("hello"))
        );
        assert_eq!(default(PgType::Bool, "false"), Some(Value::Boolean(false)));
        assert_eq!(
            default(PgType::Numeric(Some((6, 2))), "3.5"),
            Some(Value::Bytes(vec![0x01, 0x5e]))
        );
        assert_eq!(default(PgType::Numeric(None), "2.25"), None);
        assert_eq!(default(PgType::Date, "'2024-01-02'::date"), Some(Value::Int32(19724)));
        assert_eq!(default(PgType::Date, "CURRENT_DATE"), Some(Value::Int32(0)));
        assert_eq!(
            default(PgType::Time(6), "'12:30:00'::time without time zone"),
            Some(Value::Int64(45_000_000_000))
        );
        assert_eq!(
            default(PgType::TimestampTz(6), "now()"),
            Some(Value::from("1970-01-01T00:00:00.000000Z"))
        );
        assert_eq!(
            default(
                PgType::TimestampTz(6),
                "'2024-01-02 01:04:05+00'::timestamp with time zone"
            ),
            Some(Value::from("2024-01-02T01:04:05.000000Z"))
        );
        assert_eq!(
            default(PgType::Interval, "'P1D'::interval"),
            Some(Value::Int64(86_400_000_000))
        );
        assert_eq!(default(PgType::Bits(3), "B'101'::\"bit\""), Some(Value::Bytes(vec![5])));
        assert_eq!(default(PgType::Bits(1), "B'1'::\"bit\""), Some(Value::Boolean(true)));
        assert_eq!(
            default(PgType::Enum(vec!["green".into()]), "'green'::color"),
            Some(Value::from("green"))
        );
        assert_eq!(default(PgType::Money, "'1.00'::money"), None);
        assert_eq!(schema_default(&PgType::Int4, true, "5", &P), None);
        assert_eq!(default(PgType::Text, "NULL::character varying"), None);
    }
}
