//! HTTP `Range` requests (RFC 9110 §14) with one byte range: `bytes=a-b`, `bytes=a-` and
//! `bytes=-n`. Several ranges in one request are not served as multipart: the whole
//! representation is sent instead, as the RFC allows.

/// What to send of a representation of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Everything (200).
    Full,
    /// Bytes `start..=end` (206 with `Content-Range`).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// The range lies outside the representation (416 with `Content-Range: bytes */size`).
    Unsatisfiable,
}

/// Reads a `Range` header value for a representation of `size` bytes.
pub fn parse_range(header: Option<&str>, size: u64) -> RangeAnswer {
    let Some(value) = header else {
        return RangeAnswer::Full;
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAnswer::Unsatisfiable;
    };
    let (a, b) = (a.trim(), b.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (a.is_empty(), b.is_empty()) {
        (true, true) => RangeAnswer::Unsatisfiable,
        (true, false) => match parse(b) {
            Some(0) | None => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        (false, _) => {
            let Some(start) = parse(a) else {
                return RangeAnswer::Unsatisfiable;
            };
            if start >= size {
                return RangeAnswer::Unsatisfiable;
            }
            let end = if b.is_empty() {
                size - 1
            } else {
                match parse(b) {
                    Some(e) if e >= start => e.min(size - 1),
                    _ => return RangeAnswer::Unsatisfiable,
                }
            };
            if start == 0 && end == size - 1 {
                RangeAnswer::Full
            } else {
                RangeAnswer::Partial { start, end }
            }
        }
    }
}

/// Reads a `Content-Range: bytes a-b/size` answer: `(a, b, size)`.
pub fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, size) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let size = match size.trim() {
        "*" => None,
        s => Some(s.parse().ok()?),
    };
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?, size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeAnswer::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), Full);
        assert_eq!(parse_range(Some("bytes=0-"), 10), Full);
        assert_eq!(
            parse_range(Some("bytes=4-"), 10),
            Partial { start: 4, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=4-6"), 10),
            Partial { start: 4, end: 6 }
        );
        assert_eq!(
            parse_range(Some("bytes=4-60"), 10),
            Partial { start: 4, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            Partial { start: 7, end: 9 }
        );
        assert_eq!(parse_range(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=6-4"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=x-"), 10), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Full);
        assert_eq!(parse_range(Some("items=0-1"), 10), Full);
        assert_eq!(parse_range(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(parse_content_range("bytes 4-9/10"), Some((4, 9, Some(10))));
        assert_eq!(parse_content_range("bytes 4-9/*"), Some((4, 9, None)));
        assert_eq!(parse_content_range("bytes */10"), None);
    }
}
