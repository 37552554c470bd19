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

    pub fn dot_frac(&self) -> String {
        if self.frac.is_empty() {
            String::new()
        } else {
            format!(".{}", self.frac)
        }
    }
}
