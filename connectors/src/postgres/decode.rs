//! Decoding of pgoutput's logical replication messages (protocol version 1, text format).
//!
//! Begin and Commit are decoded by the replication client; this module decodes what comes
//! between them: relation descriptions and row changes.

use std::fmt;

/// A message that cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed pgoutput message: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

/// A column of a relation, as a Relation message describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Whether the column is part of the replica identity (the key).
    pub key: bool,
    /// Its name.
    pub name: String,
    /// The OID of its type.
    pub type_oid: u32,
    /// Its type modifier (e.g. a numeric's precision and scale), -1 when none.
    pub type_modifier: i32,
}

/// A table's description, sent before its first change and after every change of its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The table's OID.
    pub oid: u32,
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its replica identity: `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: u8,
    /// Its columns, in order.
    pub columns: Vec<Column>,
}

/// One column's value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datum {
    /// SQL NULL.
    Null,
    /// A TOASTed value that did not change and was not sent.
    Unchanged,
    /// The value in the type's text output format.
    Text(String),
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A table's description.
    Relation(Relation),
    /// A row inserted.
    Insert {
        /// The table.
        relation: u32,
        /// The new row.
        new: Vec<Datum>,
    },
    /// A row updated; `old` holds the key (`K`) or the whole old row (`O`) when the replica
    /// identity provides it.
    Update {
        /// The table.
        relation: u32,
        /// The old key or row.
        old: Option<Vec<Datum>>,
        /// The new row.
        new: Vec<Datum>,
    },
    /// A row deleted; `old` holds its key or whole row.
    Delete {
        /// The table.
        relation: u32,
        /// The old key or row.
        old: Option<Vec<Datum>>,
    },
    /// Tables truncated.
    Truncate {
        /// The tables.
        relations: Vec<u32>,
    },
    /// The replication origin of the transaction being sent (it was replayed from elsewhere).
    Origin {
        /// The transaction's commit LSN on the origin.
        lsn: i64,
        /// The origin's name.
        name: String,
    },
    /// Anything else (type descriptions): nothing to emit.
    Other(u8),
}

/// Reads big-endian values and strings from a message body.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.data.len() < n {
            return Err(DecodeError(format!("needed {n} more bytes, {} left", self.data.len())));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn i16(&mut self) -> Result<i16, DecodeError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32, DecodeError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(self.i32()? as u32)
    }

    fn i64(&mut self) -> Result<i64, DecodeError> {
        let b = self.take(8)?;
        Ok(i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let end = self
            .data
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| DecodeError("unterminated string".into()))?;
        let s = String::from_utf8_lossy(&self.data[..end]).into_owned();
        self.data = &self.data[end + 1..];
        Ok(s)
    }

    fn tuple(&mut self) -> Result<Vec<Datum>, DecodeError> {
        let count = self.i16()?;
        (0..count)
            .map(|_| match self.u8()? {
                b'n' => Ok(Datum::Null),
                b'u' => Ok(Datum::Unchanged),
                b't' => {
                    let len = usize::try_from(self.i32()?).map_err(|_| DecodeError("negative length".into()))?;
                    Ok(Datum::Text(String::from_utf8_lossy(self.take(len)?).into_owned()))
                }
                other => Err(DecodeError(format!("unknown tuple column kind {:?}", other as char))),
            })
            .collect()
    }

    /// An optional old tuple (`K` or `O`), then, when `then_new`, the `N` tuple.
    fn old_tuple(&mut self) -> Result<(Option<Vec<Datum>>, Option<u8>), DecodeError> {
        match self.u8()? {
            b'K' | b'O' => Ok((Some(self.tuple()?), None)),
            tag => Ok((None, Some(tag))),
        }
    }
}

/// Decodes one pgoutput message.
pub fn decode(data: &[u8]) -> Result<Message, DecodeError> {
    let mut r = Reader { data };
    let tag = r.u8()?;
    Ok(match tag {
        b'R' => {
            let oid = r.u32()?;
            let schema = r.string()?;
            let name = r.string()?;
            let replica_identity = r.u8()?;
            let count = r.i16()?;
            let columns = (0..count)
                .map(|_| {
                    Ok(Column {
                        key: r.u8()? & 1 == 1,
                        name: r.string()?,
                        type_oid: r.u32()?,
                        type_modifier: r.i32()?,
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            Message::Relation(Relation {
                oid,
                schema,
                name,
                replica_identity,
                columns,
            })
        }
        b'I' => {
            let relation = r.u32()?;
            match r.u8()? {
                b'N' => Message::Insert {
                    relation,
                    new: r.tuple()?,
                },
                other => return Err(DecodeError(format!("insert without a new tuple ({:?})", other as char))),
            }
        }
        b'U' => {
            let relation = r.u32()?;
            let (old, next) = r.old_tuple()?;
            let tag = match next {
                Some(tag) => tag,
                None => r.u8()?,
            };
            if tag != b'N' {
                return Err(DecodeError(format!("update without a new tuple ({:?})", tag as char)));
            }
            Message::Update {
                relation,
                old,
                new: r.tuple()?,
            }
        }
        b'D' => {
            let relation = r.u32()?;
            let (old, _) = r.old_tuple()?;
            Message::Delete { relation, old }
        }
        b'O' => {
            let lsn = r.i64()?;
            Message::Origin { lsn, name: r.string()? }
        }
        b'T' => {
            let count = r.i32()?;
            let _options = r.u8()?;
            let relations = (0..count).map(|_| r.u32()).collect::<Result<_, _>>()?;
            Message::Truncate { relations }
        }
        other => Message::Other(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    }

    fn text(s: &str) -> Vec<u8> {
        let mut v = vec![b't'];
        v.extend((s.len() as i32).to_be_bytes());
        v.extend(s.as_bytes());
        v
    }

    #[test]
    fn relation() {
        let mut m = vec![b'R'];
        m.extend(16385u32.to_be_bytes());
        m.extend(string("public"));
        m.extend(string("items"));
        m.push(b'd');
        m.extend(2i16.to_be_bytes());
        m.push(1);
        m.extend(string("id"));
        m.extend(23u32.to_be_bytes());
        m.extend((-1i32).to_be_bytes());
        m.push(0);
        m.extend(string("price"));
        m.extend(1700u32.to_be_bytes());
        m.extend(((10 << 16 | 2) + 4i32).to_be_bytes());
        let Message::Relation(rel) = decode(&m).unwrap() else {
            panic!("not a relation")
        };
        assert_eq!(
            (rel.oid, rel.schema.as_str(), rel.name.as_str(), rel.replica_identity),
            (16385, "public", "items", b'd')
        );
        assert_eq!(
            rel.columns[0],
            Column {
                key: true,
                name: "id".into(),
                type_oid: 23,
                type_modifier: -1
            }
        );
        assert!(!rel.columns[1].key);
    }

    #[test]
    fn insert_update_delete_truncate() {
        let mut insert = vec![b'I'];
        insert.extend(7u32.to_be_bytes());
        insert.push(b'N');
        insert.extend(3i16.to_be_bytes());
        insert.extend(text("42"));
        insert.push(b'n');
        insert.push(b'u');
        assert_eq!(
            decode(&insert).unwrap(),
            Message::Insert {
                relation: 7,
                new: vec![Datum::Text("42".into()), Datum::Null, Datum::Unchanged]
            }
        );

        let mut update = vec![b'U'];
        update.extend(7u32.to_be_bytes());
        update.push(b'K');
        update.extend(1i16.to_be_bytes());
        update.extend(text("1"));
        update.push(b'N');
        update.extend(1i16.to_be_bytes());
        update.extend(text("2"));
        assert_eq!(
            decode(&update).unwrap(),
            Message::Update {
                relation: 7,
                old: Some(vec![Datum::Text("1".into())]),
                new: vec![Datum::Text("2".into())]
            }
        );
        let mut plain_update = vec![b'U'];
        plain_update.extend(7u32.to_be_bytes());
        plain_update.push(b'N');
        plain_update.extend(0i16.to_be_bytes());
        assert_eq!(
            decode(&plain_update).unwrap(),
            Message::Update {
                relation: 7,
                old: None,
                new: vec![]
            }
        );

        let mut delete = vec![b'D'];
        delete.extend(7u32.to_be_bytes());
        delete.push(b'O');
        delete.extend(1i16.to_be_bytes());
        delete.extend(text("x"));
        assert_eq!(
            decode(&delete).unwrap(),
            Message::Delete {
                relation: 7,
                old: Some(vec![Datum::Text("x".into())])
            }
        );

        let mut truncate = vec![b'T'];
        truncate.extend(2i32.to_be_bytes());
        truncate.push(0);
        truncate.extend(7u32.to_be_bytes());
        truncate.extend(8u32.to_be_bytes());
        assert_eq!(decode(&truncate).unwrap(), Message::Truncate { relations: vec![7, 8] });

        let mut origin = vec![b'O'];
        origin.extend(11_259_375i64.to_be_bytes());
        origin.extend(string("myorigin"));
        assert_eq!(
            decode(&origin).unwrap(),
            Message::Origin {
                lsn: 11_259_375,
                name: "myorigin".into()
            }
        );
    }

    #[test]
    fn truncated_input_is_an_error() {
        assert!(decode(&[b'I', 0, 0]).is_err());
        assert!(decode(&[]).is_err());
        assert_eq!(decode(b"Y").unwrap(), Message::Other(b'Y'));
    }
}
