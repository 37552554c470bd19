//! Times as Go's time package reads and writes them (RFC 3339), for
//! output that must match what Go tools print.

/// A time as Go writes a time.Time in JSON (RFC 3339, the fraction
/// without trailing zeros, `Z` for offset zero); None if it is none.
pub fn go_json_time(s: &str) -> Option<String> {
    let t = Rfc3339::parse(s)?;
    let zone = match t.offset {
        None | Some("+00:00" | "-00:00") => "Z",
        Some(z) => z,
    };
    Some(format!("{}T{}{}{zone}", t.date, t.hms, t.dot_frac()))
}

/// The parts of an RFC 3339 time, as Go's time.Parse reads them.
pub struct Rfc3339<'a> {
    pub date: &'a str,
    pub hms: &'a str,
    /// The fraction's digits without trailing zeros (nanoseconds at most).
    pub frac: &'a str,
    /// `±hh:mm`, or None for `Z`.
    pub offset: Option<&'a str>,
}

impl<'a> Rfc3339<'a> {
    pub fn parse(s: &'a str) -> Option<Self> {
        let (date, rest) = s.split_once('T')?;
        if date.len() != 10 || rest.len() < 9 || !rest.is_char_boundary(8) {
            return None;
        }
        let (hms, mut rest) = rest.split_at(8);
        let mut frac = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            frac = r[..n.min(9)].trim_end_matches('0');
            rest = &r[n..];
        }
        let offset = match rest {
            "Z" | "z" => None,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
                Some(z)
            }
            _ => return None,
        };
        Some(Rfc3339 {
            date,
            hms,
            frac,
            offset,
        })
    }

    /// Are the date's and the time's fields within their ranges, as Go's
    /// time.Parse checks them: month 1 to 12, the day within its month,
    /// hour below 24, minute and second below 60?
    pub fn in_range(&self) -> bool {
        let num = |s: &str| -> Option<u32> {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let d: Vec<&str> = self.date.split('-').collect();
        let t: Vec<&str> = self.hms.split(':').collect();
        let (Some(y), Some(mo), Some(day), Some(h), Some(mi), Some(sec)) = (
            d.first().and_then(|x| num(x)),
            d.get(1).and_then(|x| num(x)),
            d.get(2).and_then(|x| num(x)),
            t.first().and_then(|x| num(x)),
            t.get(1).and_then(|x| num(x)),
            t.get(2).and_then(|x| num(x)),
        ) else {
            return false;
        };
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let days = match mo {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return false,
        };
        d.len() == 3 && t.len() == 3 && (1..=days).contains(&day) && h < 24 && mi < 60 && sec < 60
    }

    pub fn dot_frac(&self) -> String {
        if self.frac.is_empty() {
            String::new()
        } else {
            format!(".{}", self.frac)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_go_checks_them() {
        for ok in ["2024-02-29T23:59:59Z", "2023-12-31T00:00:00.5+02:00"] {
            assert!(Rfc3339::parse(ok).unwrap().in_range(), "{ok}");
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2023-02-30T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-00-10T00:00:00Z",
        ] {
            assert!(!Rfc3339::parse(bad).unwrap().in_range(), "{bad}");
        }
    }
}
