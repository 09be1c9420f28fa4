//! The one JSON scanner: a cursor over a line's bytes.
//!
//! Input: the bytes of one line (JSON lines, a Docker json-file envelope).
//! Output: positions: where each string and number starts and ends,
//! and whether a string holds escapes, found by one walk that builds no tree
//! and allocates nothing. What the values mean is up to the caller:
//! [`super::walk`] reads a log object into a record, the container reader
//! reads the envelope's three keys. A value that is not well-formed JSON, or
//! nests deeper than [`MAX_DEPTH`], gives `None`.
//!
//! Every stop is at an ASCII byte, so for a line that is a `&str`, the ranges
//! fall on character boundaries.

use std::ops::Range;

use memchr::memchr2;

/// Deeper nesting is refused (the walk is recursive; this guards the stack).
pub const MAX_DEPTH: u32 = 128;

/// A string as it stands in the line: the range between its quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Str {
    pub start: usize,
    pub end: usize,
    /// It holds a backslash: its text differs from its bytes.
    pub escaped: bool,
}

impl Str {
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A position in a line's bytes.
pub struct Cursor<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Cursor { b, i: 0 }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    pub fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Only blanks are left.
    pub fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    /// At `"`: the string's raw content.
    #[inline]
    pub fn string(&mut self) -> Option<Str> {
        let start = self.i + 1;
        // Keys and most values are short: a plain loop beats setting up memchr.
        let short_end = (start + 24).min(self.b.len());
        let mut j = start;
        while j < short_end {
            match self.b[j] {
                b'"' => {
                    self.i = j + 1;
                    return Some(Str {
                        start,
                        end: j,
                        escaped: false,
                    });
                }
                b'\\' => return self.long_string(start, j),
                _ => j += 1,
            }
        }
        self.long_string(start, j)
    }

    /// A string value, checking that one starts here. For values that are
    /// rarely short (a Docker envelope's message and time): memchr from the
    /// first byte.
    pub fn string_value(&mut self) -> Option<Str> {
        (self.peek()? == b'"').then_some(())?;
        let start = self.i + 1;
        self.long_string(start, start)
    }

    /// The rest of a string from `j` on, with memchr.
    fn long_string(&mut self, start: usize, mut j: usize) -> Option<Str> {
        let mut escaped = false;
        loop {
            let k = j + memchr2(b'"', b'\\', self.b.get(j..)?)?;
            if self.b[k] == b'"' {
                self.i = k + 1;
                return Some(Str {
                    start,
                    end: k,
                    escaped,
                });
            }
            escaped = true;
            j = k + 2;
        }
    }

    /// The characters a number is made of, at least one digit among them.
    pub fn number(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.i += 1;
        }
        self.b[start..self.i]
            .iter()
            .any(u8::is_ascii_digit)
            .then_some(start..self.i)
    }

    /// `true`, `false` or `null`, as `word` says.
    pub fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// Skips a string, number or literal.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => None,
        }
    }

    /// At `{`: calls `member` for each key with the cursor on its value; `member`
    /// must consume the value.
    pub fn members<F>(&mut self, mut member: F) -> Option<()>
    where
        F: FnMut(&mut Self, Str) -> Option<()>,
    {
        self.i += 1;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.ws();
            member(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// At `[`: skips the array.
    pub fn skip_array(&mut self, depth: u32) -> Option<()> {
        self.i += 1;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.skip(depth + 1)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips one value at nesting `depth`, checking that it is well formed.
    pub fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.members(|c, _| c.skip(depth + 1)),
            b'[' => self.skip_array(depth),
            _ => self.skip_scalar(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_strings_and_numbers() {
        let line = br#"{"a\"b": "x", "n": -1.5e3, "t": true, "z": null, "l": [1, {"k": "]"}]}"#;
        let mut c = Cursor::new(line);
        let mut seen = Vec::new();
        c.members(|c, key| {
            let k = String::from_utf8_lossy(&line[key.range()]).into_owned();
            match c.peek()? {
                b'"' => seen.push((k, c.string()?.range(), c.b[c.i - 1])),
                b'-' => seen.push((k, c.number()?, c.b[c.i - 1])),
                _ => c.skip(1)?,
            }
            Some(())
        })
        .unwrap();
        assert!(c.at_end());
        assert_eq!(seen[0], (r#"a\"b"#.to_owned(), 10..11, b'"'));
        assert_eq!(seen[1], ("n".to_owned(), 19..25, b'3'));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn malformed_or_too_deep_values_are_refused() {
        for bad in [
            &br#"{"a" 1}"#[..],
            br#"{"a":tru}"#,
            br#"{"a":"open}"#,
            br#"[1,]"#,
            b"-",
        ] {
            assert_eq!(
                Cursor::new(bad).skip(0),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(Cursor::new(deep.as_bytes()).skip(0), None);
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(Cursor::new(ok.as_bytes()).skip(0), Some(()));
    }
}
