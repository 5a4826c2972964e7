//! PostgreSQL's geometric types: their text output read, and written as Debezium's `Point`,
//! `Line`, `Circle` and `Geometry` structs, with little-endian WKB.

use weir_connector_api::Value;

use super::Shape;

type Point = (f64, f64);

/// The points of a text like `((1,2),(3,4))`, `[(1,2),(3,4)]` or `(1,2),(3,4)`, and whether it
/// was written as open (`[...]`, a path).
fn points(text: &str) -> Option<(Vec<Point>, bool)> {
    let open = text.starts_with('[');
    let numbers: Vec<f64> = text
        .split(['(', ')', '[', ']', ','])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().ok())
        .collect::<Option<_>>()?;
    if numbers.len() % 2 != 0 {
        return None;
    }
    Some((numbers.chunks(2).map(|p| (p[0], p[1])).collect(), open))
}

/// The WKB header: little-endian byte order and the geometry type.
fn header(kind: u32) -> Vec<u8> {
    let mut wkb = vec![1u8];
    wkb.extend(kind.to_le_bytes());
    wkb
}

fn push_points(wkb: &mut Vec<u8>, points: &[Point]) {
    wkb.extend((points.len() as u32).to_le_bytes());
    for (x, y) in points {
        wkb.extend(x.to_le_bytes());
        wkb.extend(y.to_le_bytes());
    }
}

fn point_value((x, y): Point) -> Value {
    let mut wkb = header(1);
    wkb.extend(x.to_le_bytes());
    wkb.extend(y.to_le_bytes());
    Value::Struct(vec![
        ("x".into(), Value::Float64(x)),
        ("y".into(), Value::Float64(y)),
        ("wkb".into(), Value::Bytes(wkb)),
        ("srid".into(), Value::Null),
    ])
}

/// A `Geometry` struct: WKB, no SRID, and the extensions naming the PostgreSQL type (in the
/// order Debezium puts them).
fn geometry(wkb: Vec<u8>, extensions: Vec<(String, String)>) -> Value {
    let extensions = extensions
        .into_iter()
        .map(|(k, v)| (Value::String(k), Value::String(v)))
        .collect();
    Value::Struct(vec![
        ("wkb".into(), Value::Bytes(wkb)),
        ("srid".into(), Value::Null),
        ("extensions".into(), Value::Map(extensions)),
    ])
}

fn line_string(points: &[Point]) -> Vec<u8> {
    let mut wkb = header(2);
    push_points(&mut wkb, points);
    wkb
}

/// A polygon of one ring, closed by repeating its first point when it is not.
fn polygon(points: &[Point]) -> Vec<u8> {
    let mut ring = points.to_vec();
    if let (Some(first), Some(last)) = (ring.first().copied(), ring.last().copied())
        && first != last
    {
        ring.push(first);
    }
    let mut wkb = header(3);
    wkb.extend(1u32.to_le_bytes());
    push_points(&mut wkb, &ring);
    wkb
}

fn kind(name: &str) -> Vec<(String, String)> {
    vec![("type".into(), name.into())]
}

impl Shape {
    /// A value of this shape from its text output.
    pub fn value(self, text: &str) -> Option<Value> {
        if self == Shape::Line {
            let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
            let abc: Vec<f64> = inner.split(',').map(|s| s.trim().parse().ok()).collect::<Option<_>>()?;
            let [a, b, c] = abc.as_slice() else { return None };
            return Some(Value::Struct(vec![
                ("a".into(), Value::Float64(*a)),
                ("b".into(), Value::Float64(*b)),
                ("c".into(), Value::Float64(*c)),
            ]));
        }
        if self == Shape::Circle {
            let inner = text.trim().strip_prefix('<')?.strip_suffix('>')?;
            let (center, radius) = inner.rsplit_once(',')?;
            let (center, _) = points(center)?;
            return Some(Value::Struct(vec![
                ("center".into(), point_value(*center.first()?)),
                ("radius".into(), Value::Float64(radius.trim().parse().ok()?)),
            ]));
        }
        let (points, open) = points(text)?;
        Some(match self {
            Shape::Point => point_value(*points.first()?),
            Shape::Lseg => geometry(line_string(&points), kind("lseg")),
            Shape::Path => {
                let mut extensions = kind("path");
                extensions.push(("closed".into(), (!open).to_string()));
                geometry(line_string(&points), extensions)
            }
            Shape::Polygon => geometry(polygon(&points), kind("polygon")),
            Shape::Box => {
                let [(x1, y1), (x2, y2)] = points.as_slice() else {
                    return None;
                };
                let ring = [(*x1, *y1), (*x1, *y2), (*x2, *y2), (*x2, *y1), (*x1, *y1)];
                geometry(polygon(&ring), kind("box"))
            }
            Shape::Line | Shape::Circle => return None,
        })
    }

    /// What Debezium writes for a required column of this shape sent without a value.
    pub fn fallback(self) -> Value {
        match self {
            Shape::Point => point_value((0.0, 0.0)),
            Shape::Line => Value::Struct(vec![
                ("a".into(), Value::Float64(0.0)),
                ("b".into(), Value::Float64(1.0)),
                ("c".into(), Value::Float64(0.0)),
            ]),
            Shape::Circle => Value::Struct(vec![
                ("center".into(), point_value((0.0, 0.0))),
                ("radius".into(), Value::Float64(0.0)),
            ]),
            Shape::Box => geometry(polygon(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]), kind("box")),
            Shape::Polygon => geometry(polygon(&[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]), kind("polygon")),
            Shape::Lseg => geometry(line_string(&[(0.0, 0.0), (1.0, 0.0)]), kind("lseg")),
            Shape::Path => {
                let mut extensions = kind("path");
                extensions.push(("closed".into(), "false".into()));
                geometry(line_string(&[(0.0, 0.0), (1.0, 0.0)]), extensions)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_carry_little_endian_wkb() {
        let Some(Value::Struct(fields)) = Shape::Point.value("(1.5,-2)") else {
            panic!("not a struct")
        };
        let wkb = [
            vec![1, 1, 0, 0, 0],
            1.5f64.to_le_bytes().to_vec(),
            (-2f64).to_le_bytes().to_vec(),
        ]
        .concat();
        assert_eq!(fields[2], ("wkb".into(), Value::Bytes(wkb)));
        assert_eq!(fields[0], ("x".into(), Value::Float64(1.5)));
    }

    #[test]
    fn boxes_paths_and_polygons() {
        let ring = |v: Value| match v.field("wkb") {
            Some(Value::Bytes(b)) => (u32::from_le_bytes([b[1], b[2], b[3], b[4]]), b.len()),
            _ => panic!("no wkb"),
        };
        // A box is a closed ring of five points: 1 + 4 + 4 + 4 + 5 * 16 bytes.
        assert_eq!(ring(Shape::Box.value("(3,4),(1,2)").unwrap()), (3, 93));
        // A triangle closes with its first point again: four points.
        assert_eq!(ring(Shape::Polygon.value("((0,0),(0,1),(1,1))").unwrap()), (3, 77));
        let path = Shape::Path.value("((0,0),(1,1))").unwrap();
        assert_eq!(ring(path.clone()), (2, 41));
        assert_eq!(
            path.field("extensions"),
            Some(&Value::Map(vec![
                ("type".into(), "path".into()),
                ("closed".into(), "true".into())
            ]))
        );
        assert!(Shape::Line.value("{1,-1,0}").is_some());
        assert_eq!(
            Shape::Circle
                .value("<(1,2),3>")
                .and_then(|c| c.field("radius").cloned()),
            Some(Value::Float64(3.0))
        );
    }
}
