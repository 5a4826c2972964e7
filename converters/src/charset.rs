//! The character sets every Java runtime has (`java.nio.charset.StandardCharsets`), found by
//! their names and aliases as `Charset.forName` finds them (in any case), and strings encoded and
//! decoded as `String.getBytes` and `new String(bytes, charset)` do: what cannot be encoded is
//! `?`, what cannot be decoded the replacement character.

/// A character set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    /// `UTF-8`.
    Utf8,
    /// `UTF-16`: big-endian, written after a byte order mark, read after one if there is one.
    Utf16,
    /// `UTF-16BE`.
    Utf16Be,
    /// `UTF-16LE`.
    Utf16Le,
    /// `US-ASCII`.
    Ascii,
    /// `ISO-8859-1`.
    Latin1,
}

/// Each character set with its canonical name and aliases, as the JDK names them.
const NAMES: &[(Charset, &[&str])] = &[
    (Charset::Utf8, &["UTF-8", "UTF8", "unicode-1-1-utf-8"]),
    (Charset::Utf16, &["UTF-16", "UTF_16", "utf16", "unicode", "UnicodeBig"]),
    (
        Charset::Utf16Be,
        &[
            "UTF-16BE",
            "UTF_16BE",
            "ISO-10646-UCS-2",
            "X-UTF-16BE",
            "UnicodeBigUnmarked",
        ],
    ),
    (
        Charset::Utf16Le,
        &["UTF-16LE", "UTF_16LE", "X-UTF-16LE", "UnicodeLittleUnmarked"],
    ),
    (
        Charset::Ascii,
        &[
            "US-ASCII",
            "iso-ir-6",
            "ANSI_X3.4-1986",
            "ISO_646.irv:1991",
            "ASCII",
            "ISO646-US",
            "us",
            "IBM367",
            "cp367",
            "csASCII",
            "default",
            "646",
            "iso_646.irv:1983",
            "ANSI_X3.4-1968",
            "ascii7",
        ],
    ),
    (
        Charset::Latin1,
        &[
            "ISO-8859-1",
            "iso-ir-100",
            "ISO_8859-1",
            "latin1",
            "l1",
            "IBM819",
            "cp819",
            "csISOLatin1",
            "819",
            "IBM-819",
            "ISO8859_1",
            "ISO_8859-1:1987",
            "ISO_8859_1",
            "8859_1",
            "ISO8859-1",
        ],
    ),
];

/// The character printed for one that cannot be encoded.
const UNMAPPABLE: u8 = b'?';

impl Charset {
    /// The character set a name or alias names, in any case.
    pub(crate) fn for_name(name: &str) -> Option<Charset> {
        NAMES
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(charset, _)| *charset)
    }

    /// `text.getBytes(charset)`.
    pub(crate) fn encode(self, text: &str) -> Vec<u8> {
        let units = |big_endian: bool| {
            text.encode_utf16().flat_map(move |unit| {
                if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                }
            })
        };
        let narrow = |limit: u32| {
            text.chars()
                .map(|c| {
                    u8::try_from(u32::from(c))
                        .ok()
                        .filter(|b| u32::from(*b) <= limit)
                        .unwrap_or(UNMAPPABLE)
                })
                .collect()
        };
        match self {
            Charset::Utf8 => text.as_bytes().to_vec(),
            // Java writes the mark before the first character, so not for an empty string.
            Charset::Utf16 if text.is_empty() => Vec::new(),
            Charset::Utf16 => [0xFE, 0xFF].into_iter().chain(units(true)).collect(),
            Charset::Utf16Be => units(true).collect(),
            Charset::Utf16Le => units(false).collect(),
            Charset::Ascii => narrow(0x7F),
            Charset::Latin1 => narrow(0xFF),
        }
    }

    /// `new String(bytes, charset)`.
    pub(crate) fn decode(self, bytes: &[u8]) -> String {
        match self {
            Charset::Utf8 => utf8(bytes),
            Charset::Utf16 => match bytes {
                [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
                [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
                _ => utf16(bytes, true),
            },
            Charset::Utf16Be => utf16(bytes, true),
            Charset::Utf16Le => utf16(bytes, false),
            Charset::Ascii => bytes
                .iter()
                .map(|b| {
                    if b.is_ascii() {
                        char::from(*b)
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                })
                .collect(),
            Charset::Latin1 => bytes.iter().copied().map(char::from).collect(),
        }
    }
}

/// UTF-8 as Java's `String` decodes it (`decodeUTF8_UTF16`), where it is not valid: each
/// malformed sequence, an encoded surrogate (three bytes) included, is one replacement character,
/// and a sequence cut short at the end takes the rest with it.
fn utf8(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let continuation = |b: u8| b & 0xC0 == 0x80;
    let at = |i: usize| bytes.get(i).copied();
    let mut text = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(b1) = at(i) {
        let start = i;
        i += 1;
        let decoded = match b1 {
            0x00..=0x7F => Some(u32::from(b1)),
            0xC2..=0xDF => match at(i) {
                Some(b2) if continuation(b2) => {
                    i += 1;
                    Some(u32::from(b1 & 0x1F) << 6 | u32::from(b2 & 0x3F))
                }
                Some(_) => None,
                None => {
                    text.push(char::REPLACEMENT_CHARACTER);
                    break;
                }
            },
            0xE0..=0xEF => {
                let overlong = |b2: u8| b1 == 0xE0 && b2 & 0xE0 == 0x80;
                match (at(i), at(i + 1)) {
                    (Some(b2), Some(b3)) => {
                        if overlong(b2) || !continuation(b2) || !continuation(b3) {
                            i = start + if overlong(b2) || !continuation(b2) { 1 } else { 2 };
                            None
                        } else {
                            i += 2;
                            let c = u32::from(b1 & 0x0F) << 12 | u32::from(b2 & 0x3F) << 6 | u32::from(b3 & 0x3F);
                            // An encoded surrogate is malformed too.
                            Some(c).filter(|c| !(0xD800..0xE000).contains(c))
                        }
                    }
                    (Some(b2), None) if overlong(b2) || !continuation(b2) => None,
                    _ => {
                        text.push(char::REPLACEMENT_CHARACTER);
                        break;
                    }
                }
            }
            0xF0..=0xF7 => {
                let bad_second = |b2: u8| {
                    b1 > 0xF4
                        || (b1 == 0xF0 && !(0x90..=0xBF).contains(&b2))
                        || (b1 == 0xF4 && b2 & 0xF0 != 0x80)
                        || !continuation(b2)
                };
                match (at(i), at(i + 1), at(i + 2)) {
                    (Some(b2), Some(b3), Some(b4)) => {
                        let c = u32::from(b1 & 0x07) << 18
                            | u32::from(b2 & 0x3F) << 12
                            | u32::from(b3 & 0x3F) << 6
                            | u32::from(b4 & 0x3F);
                        if !continuation(b2)
                            || !continuation(b3)
                            || !continuation(b4)
                            || !(0x10000..=0x10FFFF).contains(&c)
                        {
                            i = start
                                + if bad_second(b2) {
                                    1
                                } else if !continuation(b3) {
                                    2
                                } else {
                                    3
                                };
                            None
                        } else {
                            i += 3;
                            Some(c)
                        }
                    }
                    (b2, ..) if b1 > 0xF4 || b2.is_some_and(bad_second) => None,
                    (_, b3, _) => {
                        text.push(char::REPLACEMENT_CHARACTER);
                        // Java skips the second byte and goes on after a third that cannot
                        // continue the sequence.
                        i += 1;
                        if b3.is_some_and(|b3| !continuation(b3)) {
                            continue;
                        }
                        break;
                    }
                }
            }
            _ => None,
        };
        text.push(decoded.and_then(char::from_u32).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    text
}

/// UTF-16 units of either order as text; an unpaired surrogate or an odd last byte is the
/// replacement character.
fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let chunks = bytes.chunks_exact(2);
    let odd = !chunks.remainder().is_empty();
    let units = chunks.map(|pair| {
        let pair = [pair[0], pair[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if odd {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_are_found_by_any_of_their_names() {
        assert_eq!(Charset::for_name("utf-8"), Some(Charset::Utf8));
        assert_eq!(Charset::for_name("LATIN1"), Some(Charset::Latin1));
        assert_eq!(Charset::for_name("UnicodeBigUnmarked"), Some(Charset::Utf16Be));
        assert_eq!(Charset::for_name("NOPE-8"), None);
        assert_eq!(Charset::for_name(" UTF-8"), None);
    }

    #[test]
    fn text_is_encoded_and_decoded_as_java_does() {
        assert_eq!(Charset::Utf16.encode("hi"), [0xFE, 0xFF, 0, b'h', 0, b'i']);
        assert_eq!(Charset::Utf16.encode(""), Vec::<u8>::new());
        assert_eq!(Charset::Utf16Le.encode("h"), [b'h', 0]);
        assert_eq!(Charset::Ascii.encode("é\u{1F600}a"), b"??a");
        assert_eq!(Charset::Latin1.encode("é\u{100}"), [0xE9, b'?']);
        assert_eq!(Charset::Utf16.decode(&[0xFF, 0xFE, b'h', 0]), "h");
        assert_eq!(Charset::Utf16.decode(&[0, b'h', 0xD8]), "h\u{FFFD}");
        assert_eq!(Charset::Utf16Be.decode(&[0xD8, 0x00, 0, b'h']), "\u{FFFD}h");
        assert_eq!(Charset::Ascii.decode(&[b'a', 0xE9]), "a\u{FFFD}");
        assert_eq!(Charset::Latin1.decode(&[0xE9]), "é");
        assert_eq!(Charset::Utf8.decode(&[0xFF]), "\u{FFFD}");
        // An encoded surrogate is one character; a sequence cut short at the end is one.
        assert_eq!(
            Charset::Utf8.decode(&[0xED, 0xA0, 0x80, b'a', 0xF0, 0x9F, 0x98]),
            "\u{FFFD}a\u{FFFD}"
        );
        assert_eq!(
            Charset::Utf8.decode(&[0xE0, 0x80, 0x80, b'a']),
            "\u{FFFD}\u{FFFD}\u{FFFD}a"
        );
        assert_eq!(Charset::Utf8.decode(&[0xF0, 0x80, 0x80, 0x80]), "\u{FFFD}".repeat(4));
        assert_eq!(Charset::Utf8.decode(&[0xC3, b'a', 0xC3]), "\u{FFFD}a\u{FFFD}");
        assert_eq!(Charset::Utf8.decode("é😀".as_bytes()), "é😀");
    }
}
