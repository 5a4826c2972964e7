//! `Values` against what Kafka Connect 4.3.1's own class gives (its outputs on these inputs).

use super::*;
use crate::data::Field;
use crate::data::logical::decimal_schema;

/// A parse result written compactly: `schema|value`, with temporal values as epoch millis.
fn parsed(text: &str) -> String {
    let (schema, value) = parse_string(text).unwrap();
    format!(
        "{}|{}",
        describe_schema(schema.as_ref()),
        describe_value(schema.as_ref(), &value)
    )
}

fn describe_schema(schema: Option<&Schema>) -> String {
    let Some(schema) = schema else {
        return "null".into();
    };
    if schema.name.as_deref() == Some(DECIMAL) {
        return format!("Decimal({})", schema.parameter("scale").unwrap_or("?"));
    }
    if let Some(name) = &schema.name {
        return name.rsplit('.').next().unwrap_or_default().to_owned();
    }
    match schema.kind {
        SchemaType::Array => format!("array<{}>", describe_schema(schema.value_schema.as_deref())),
        SchemaType::Map => format!(
            "map<{},{}>",
            describe_schema(schema.key_schema.as_deref()),
            describe_schema(schema.value_schema.as_deref())
        ),
        kind => kind
            .wire_name()
            .replace("float", "float32")
            .replace("double", "float64"),
    }
}

fn describe_value(schema: Option<&Schema>, value: &Value) -> String {
    if let Some(millis) = schema.and_then(|s| Temporal::of(s)?.millis(value)) {
        return format!("date:{millis}");
    }
    match value {
        Value::Null => "null".into(),
        Value::Boolean(b) => format!("bool:{b}"),
        Value::Int8(v) => format!("i8:{v}"),
        Value::Int16(v) => format!("i16:{v}"),
        Value::Int32(v) => format!("i32:{v}"),
        Value::Int64(v) => format!("i64:{v}"),
        Value::Float32(v) => format!("f32:{}", v.to_bits() as i32),
        Value::Float64(v) => format!("f64:{}", v.to_bits() as i64),
        Value::String(s) => format!("str:{s}"),
        Value::Bytes(b) => match schema.and_then(|s| decimal_to_string(s, b)) {
            Some(decimal) => format!("dec:{decimal}"),
            None => format!("bytes:{b:?}"),
        },
        Value::Array(items) => {
            let items_schema = schema.and_then(|s| s.value_schema.as_deref());
            let items: Vec<String> = items.iter().map(|v| describe_value(items_schema, v)).collect();
            format!("[{}]", items.join(","))
        }
        Value::Map(entries) => {
            let keys = schema.and_then(|s| s.key_schema.as_deref());
            let values = schema.and_then(|s| s.value_schema.as_deref());
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}={}", describe_value(keys, k), describe_value(values, v)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
        Value::Struct(_) => "struct".into(),
    }
}

/// Inputs and what Kafka Connect's `Values.parseString` gave for them.
const PARSED: &[(&str, &str)] = &[
    ("true", "boolean|bool:true"),
    ("TRUE", "string|str:TRUE"),
    (" true ", "boolean|bool:true"),
    ("true}", "string|str:true}"),
    ("null", "null|null"),
    ("42", "int8|i8:42"),
    ("-128", "int8|i8:-128"),
    ("128", "int16|i16:128"),
    ("40000", "int32|i32:40000"),
    ("9999999999", "int64|i64:9999999999"),
    ("99999999999999999999", "Decimal(0)|dec:99999999999999999999"),
    ("1e10", "int64|i64:10000000000"),
    ("1e20", "float32|f32:1621981420"),
    ("1e400", "Decimal(-400)|dec:1E+400"),
    ("3.4e39", "float64|f64:5198275198523542476"),
    ("0.0", "int8|i8:0"),
    ("1.", "int8|i8:1"),
    ("-.5", "float32|f32:-1090519040"),
    ("+5", "int8|i8:5"),
    ("\u{664}\u{662}", "int8|i8:42"),
    ("0x1F", "string|str:0x1F"),
    ("NaN", "string|str:NaN"),
    ("42abc", "string|str:42abc"),
    ("   ", "string|str:   "),
    ("2024-01-01", "Date|date:1704067200000"),
    ("2024-13-45", "Date|date:1739491200000"),
    ("12:00:00", "int8|i8:12"),
    ("12:00:00.000Z", "Time|date:43200000"),
    ("\"12:00:00.000Z\"", "string|str:\"12:00:00.000Z\""),
    ("2024-01-01T10:00:00.000Z", "Timestamp|date:1704103200000"),
    ("2024-01-01T10:00:00Z", "string|str:2024-01-01T10:00:00Z"),
    ("[1,2,3]", "array<int8>|[i8:1,i8:2,i8:3]"),
    ("[1, ]", "array<int8>|[i8:1]"),
    (
        "[1,2.5,300]",
        "array<float32>|[f32:1065353216,f32:1075838976,f32:1133903872]",
    ),
    ("[1,\"a\",true]", "array<null>|[i8:1,str:a,bool:true]"),
    ("[1,null]", "string|str:[1,null]"),
    ("[null,null]", "array<null>|[null,null]"),
    ("[]", "array<null>|[]"),
    ("[a,b]", "string|str:[a,b]"),
    ("[1,2", "string|str:[1,2"),
    ("[\" \"]", "array<string>|[str:]"),
    ("[\"a\\\"b\"]", "array<string>|[str:a\\\"b]"),
    ("\"a\\\"b\"", "string|str:\"a\\\"b\""),
    ("[[1],[300]]", "array<array<int16>>|[[i8:1],[i16:300]]"),
    ("[[1],2]", "array<null>|[[i8:1],i8:2]"),
    ("[1,\"2024-01-01\"]", "array<Date>|[date:86400000,date:1704067200000]"),
    ("[1.5,\"2024-01-01\"]", "string|str:[1.5,\"2024-01-01\"]"),
    ("[5, \"99:00:00.000Z\"]", "array<Time>|[date:5,date:356400000]"),
    (
        "[\"2024-01-01\",\"2024-01-01T10:00:00.000Z\"]",
        "array<Timestamp>|[date:1704067200000,date:1704103200000]",
    ),
    ("[\"10E3-01-01\"]", "array<Date>|[date:253402300800000]"),
    ("[12:00:00.000Z]", "array<Time>|[date:43200000]"),
    (
        "[16777217,16777216,0.5]",
        "array<float32>|[f32:1266679808,f32:1266679808,f32:1056964608]",
    ),
    ("{\"a\":1,\"b\":2}", "map<string,int8>|{str:a=i8:1,str:b=i8:2}"),
    ("{\"a\":1 \"b\":2}", "map<string,int8>|{str:a=i8:1,str:b=i8:2}"),
    ("{\"a\":1,\"b\":\"x\"}", "map<string,null>|{str:a=i8:1,str:b=str:x}"),
    ("{\"a\":null}", "map<string,null>|{str:a=null}"),
    ("{\"a\":null,\"b\":1}", "string|str:{\"a\":null,\"b\":1}"),
    ("{}", "map<null,null>|{}"),
    ("{1:\"a\",1:\"b\"}", "map<int8,string>|{i8:1=str:b}"),
    (
        "{16777217:\"a\",16777216:\"b\",0.5:\"c\"}",
        "map<float32,string>|{f32:1266679808=str:b,f32:1056964608=str:c}",
    ),
    (
        "{\"a\":[1],\"b\":[300]}",
        "map<string,array<int16>>|{str:a=[i8:1],str:b=[i16:300]}",
    ),
    ("{\"a\":1", "string|str:{\"a\":1"),
];

#[test]
fn strings_parse_as_kafka_connect_parses_them() {
    let failures: Vec<String> = PARSED
        .iter()
        .filter_map(|(input, expected)| {
            let got = parsed(input);
            (got != *expected).then(|| format!("{input:?}: expected {expected}, got {got}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(parse_string("").unwrap(), (Some(Schema::string()), Value::from("")));
}

#[test]
fn nesting_is_bounded_and_fits_a_small_stack() {
    let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let deepest = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || parse_string(&nested(MAX_NESTING)).map(|(schema, _)| schema))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(deepest.unwrap().map(|s| s.kind), Some(SchemaType::Array));
    assert!(parse_string(&nested(MAX_NESTING + 1)).is_err());
    assert!(parse_string(&"[".repeat(100_000)).is_err());
}

#[test]
fn large_maps_and_arrays_parse_in_linear_time() {
    let entries: Vec<String> = (0..50_000).map(|i| format!("{i}:{i}")).collect();
    let (schema, value) = parse_string(&format!("{{{}}}", entries.join(","))).unwrap();
    assert_eq!(describe_schema(schema.as_ref()), "map<int32,int32>");
    assert!(matches!(value, Value::Map(entries) if entries.len() == 50_000));
    let items: Vec<String> = (0..50_000).map(|i| i.to_string()).collect();
    let (schema, _) = parse_string(&format!("[{},x]", items.join(","))).unwrap();
    assert_eq!(schema.map(|s| s.kind), Some(SchemaType::String));
}

#[test]
fn values_write_as_kafka_connect_writes_them() {
    let inner = Schema::struct_of(vec![Field::new("x", Schema::new(SchemaType::Boolean))]);
    let date = Temporal::Date.schema();
    let schema = Schema::struct_of(vec![
        Field::new(
            "a",
            Schema::new(SchemaType::Int32).optional().with_default(Value::Int32(7)),
        ),
        Field::new("b", Schema::string().optional()),
        Field::new("d", date),
        Field::new("t", Temporal::Time.schema()),
        Field::new("ts", Schema::array_of(Temporal::Timestamp.schema())),
        Field::new("m", Schema::map_of(Schema::string(), decimal_schema(3))),
        Field::new("bytes", Schema::new(SchemaType::Bytes)),
        Field::new("n", inner),
        Field::new("q", Schema::string()),
    ])
    .named("s");
    let value = Value::Struct(vec![
        ("a".into(), Value::Null),
        ("b".into(), Value::Null),
        ("d".into(), Value::Int32(19723)),
        ("t".into(), Value::Int32(0)),
        (
            "ts".into(),
            Value::Array(vec![Value::Int64(1_704_103_200_123), Value::Int64(1_704_067_200_000)]),
        ),
        (
            "m".into(),
            Value::Map(vec![(Value::from("k"), Value::Bytes(vec![0xfa, 0x24]))]),
        ),
        ("bytes".into(), Value::Bytes(vec![1, 2, 255])),
        ("n".into(), Value::Struct(vec![("x".into(), Value::Boolean(true))])),
        ("q".into(), Value::from("say \"hi\" \\ back")),
    ]);
    assert_eq!(
        convert_to_string(Some(&schema), &value).unwrap(),
        r#"{"a":7,"b":null,"d":2024-01-01,"t":00:00:00.000Z,"ts":[2024-01-01T10:00:00.123Z,2024-01-01],"m":{"k":-1.500},"bytes":"AQL/","n":{"x":true},"q":"say \"hi\" \\ back"}"#
    );
    let numbers = Value::Array(vec![
        Value::Float32(1.5),
        Value::Float64(2.0),
        Value::Float32(f32::NAN),
        Value::Int8(1),
        Value::Int16(2),
        Value::Int64(3),
    ]);
    assert_eq!(convert_to_string(None, &numbers).unwrap(), "[1.5,2.0,NaN,1,2,3]");
    assert_eq!(convert_to_string(Some(&Schema::string()), &Value::Null), None);
    assert_eq!(
        convert_to_string(Some(&Schema::new(SchemaType::Int32)), &Value::from("abc")).unwrap(),
        "abc"
    );
}
