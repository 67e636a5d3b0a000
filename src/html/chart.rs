//! Shared pieces of the pages' SVG charts and figures: scales, axis ticks and number formats.
//! Coordinates are rounded to 0.1 user unit so pages stay small.

/// A linear map from data values to SVG x (or y) coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        let (d0, d1) = if domain.1 > domain.0 { domain } else { (domain.0, domain.0 + 1.0) };
        Scale { d0, d1, r0: range.0, r1: range.1 }
    }

    /// The coordinate of `v`, clamped to the range.
    pub fn at(&self, v: f64) -> f64 {
        let t = ((v - self.d0) / (self.d1 - self.d0)).clamp(0.0, 1.0);
        round1(self.r0 + t * (self.r1 - self.r0))
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A tick on an axis: its coordinate and label.
#[derive(Debug, Clone)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

/// Time-axis ticks every 5 s … 1 h, as many as fit one per `min_gap` units.
pub fn time_ticks(duration_s: f64, scale: &Scale, min_gap: f64) -> Vec<Tick> {
    const STEPS: [f64; 12] =
        [1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];
    let per_s = (scale.r1 - scale.r0) / duration_s.max(1.0);
    let step = STEPS.iter().copied().find(|s| s * per_s >= min_gap).unwrap_or(7200.0);
    let n = (duration_s / step).floor() as usize;
    (0..=n).map(|i| i as f64 * step).map(|t| Tick { x: scale.at(t), label: clock(t) }).collect()
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{sec:02}") } else { format!("{m}:{sec:02}") }
}

/// A share as a percentage: `42 %`; `–` when unknown.
pub fn pct(x: Option<f64>) -> String {
    x.filter(|x| x.is_finite()).map_or("–".into(), |x| format!("{:.0} %", x * 100.0 + 0.0))
}

/// A number with `decimals` decimals; `–` when unknown.
pub fn num(x: Option<f64>, decimals: usize) -> String {
    x.filter(|x| x.is_finite()).map_or("–".into(), |x| {
        let s = format!("{:.*}", decimals, x);
        // No `-0`.
        if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            s.trim_start_matches('-').to_string()
        } else {
            s
        }
    })
}

/// A 95 % interval of a share: `31–55 %`.
pub fn pct_interval(lo: f64, hi: f64) -> String {
    if lo.is_finite() && hi.is_finite() {
        format!("{:.0}–{:.0} %", lo * 100.0, hi * 100.0)
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_clamp_and_round() {
        let s = Scale::new((0.0, 1.0), (100.0, 300.0));
        assert_eq!(s.at(0.5), 200.0);
        assert_eq!(s.at(2.0), 300.0);
        assert_eq!(s.at(-1.0), 100.0);
        assert_eq!(Scale::new((3.0, 3.0), (0.0, 10.0)).at(3.0), 0.0);
    }

    #[test]
    fn time_ticks_fit_and_read_as_clock_times() {
        let s = Scale::new((0.0, 56.0), (0.0, 900.0));
        let t = time_ticks(56.0, &s, 60.0);
        assert_eq!(t.first().unwrap().label, "0:00");
        assert!(t.windows(2).all(|w| w[1].x - w[0].x >= 60.0));
        assert_eq!(t[1].label, "0:05");
        let long = time_ticks(36_000.0, &Scale::new((0.0, 36_000.0), (0.0, 2000.0)), 60.0);
        assert!(long.len() <= 34 && long.last().unwrap().label.starts_with("10:"), "{long:?}");
    }

    #[test]
    fn numbers_never_read_minus_zero() {
        assert_eq!(num(Some(-0.0001), 1), "0.0");
        assert_eq!(num(Some(-1.25), 1), "-1.2");
        assert_eq!(num(None, 1), "–");
        assert_eq!(pct(Some(0.4)), "40 %");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(pct_interval(0.314, 0.552), "31–55 %");
    }
}
