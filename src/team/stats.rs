//! Statistics for the team report: intervals, tests, multiple comparisons and sample sizes.
//!
//! Distributions (normal, Student's t, hypergeometric) come from `statrs`; the formulas on top
//! are the textbook ones, named at each function and checked against scipy/statsmodels in the
//! tests. Every interval is two-sided at 95 % unless a level is given.
//!
//! Takes: counts and samples. Gives: numbers. Must not: read calls or know what a rate means.

use statrs::distribution::{ContinuousCDF, Discrete, Hypergeometric, Normal, StudentsT};

/// Two-sided level of every interval in the report.
pub const LEVEL: f64 = 0.95;

/// The standard normal quantile for a two-sided interval at `level` (1.96 at 95 %).
pub fn z(level: f64) -> f64 {
    std_normal().inverse_cdf(0.5 + level / 2.0)
}

fn std_normal() -> Normal {
    // Mean 0, sd 1 is always a valid normal distribution.
    Normal::standard()
}

/// Two-sided p-value of a standard normal statistic.
pub fn normal_p(z: f64) -> f64 {
    (2.0 * std_normal().sf(z.abs())).min(1.0)
}

/// A rate and its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub k: u64,
    pub n: u64,
    /// k / n; `NaN` when n = 0.
    pub p: f64,
    pub lo: f64,
    pub hi: f64,
}

/// The Wilson score interval (Wilson 1927) for k successes in n trials:
/// (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). n = 0 gives [0, 1].
pub fn wilson(k: u64, n: u64) -> Rate {
    if n == 0 {
        return Rate { k, n, p: f64::NAN, lo: 0.0, hi: 1.0 };
    }
    let (kf, nf, z) = (k as f64, n as f64, z(LEVEL));
    let p = kf / nf;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * nf);
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let denom = 1.0 + z2 / nf;
    Rate { k, n, p, lo: ((centre - half) / denom).max(0.0), hi: ((centre + half) / denom).min(1.0) }
}

impl Rate {
    /// Half the interval's width: the "± points" a reader sees.
    pub fn margin(&self) -> f64 {
        (self.hi - self.lo) / 2.0
    }
}

/// Fisher's exact test for the 2×2 table [[a, b], [c, d]], two-sided: the probability under
/// the hypergeometric null of every table at most as likely as the observed one (scipy's
/// `fisher_exact`, with its 1 + 1e-7 tolerance).
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (row1, col1, total) = (a + b, a + c, a + b + c + d);
    if total == 0 || row1 == 0 || col1 == 0 || row1 == total || col1 == total {
        return 1.0;
    }
    let Ok(h) = Hypergeometric::new(total, col1, row1) else { return 1.0 };
    let observed = h.pmf(a);
    let (lo, hi) = (row1.saturating_sub(total - col1), row1.min(col1));
    let p: f64 = (lo..=hi).map(|x| h.pmf(x)).filter(|&q| q <= observed * (1.0 + 1e-7)).sum();
    p.min(1.0)
}

/// The pooled two-proportion z-test of p₁ = p₂: z = (p̂₁ − p̂₂) / √(p̄(1−p̄)(1/n₁ + 1/n₂));
/// gives (z, two-sided p). statsmodels' `proportions_ztest`.
pub fn two_proportion_z(k1: u64, n1: u64, k2: u64, n2: u64) -> (f64, f64) {
    if n1 == 0 || n2 == 0 {
        return (0.0, 1.0);
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let pooled = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 {
        return (0.0, 1.0);
    }
    let z = (p1 - p2) / se;
    (z, normal_p(z))
}

/// The p-value for a difference of two proportions: Fisher's exact test when any expected cell
/// count is under 5, else the pooled z-test. Gives (p, the test's name).
pub fn proportions_p(k1: u64, n1: u64, k2: u64, n2: u64) -> (f64, &'static str) {
    let total = (n1 + n2) as f64;
    let successes = (k1 + k2) as f64;
    let smallest_expected = [n1 as f64, n2 as f64]
        .iter()
        .flat_map(|&n| [n * successes / total, n * (total - successes) / total])
        .fold(f64::INFINITY, f64::min);
    if total == 0.0 || smallest_expected < 5.0 {
        (fisher_exact(k1, n1 - k1.min(n1), k2, n2 - k2.min(n2)), "fisher_exact")
    } else {
        (two_proportion_z(k1, n1, k2, n2).1, "two_proportion_z")
    }
}

/// An estimate with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub lo: f64,
    pub hi: f64,
}

/// p̂₁ − p̂₂ with Newcombe's hybrid score interval (Newcombe 1998, method 10), built from the two
/// Wilson intervals; statsmodels' `confint_proportions_2indep(method="newcomb")`.
pub fn newcombe(k1: u64, n1: u64, k2: u64, n2: u64) -> Estimate {
    let (a, b) = (wilson(k1, n1), wilson(k2, n2));
    if n1 == 0 || n2 == 0 {
        return Estimate { value: f64::NAN, lo: -1.0, hi: 1.0 };
    }
    let d = a.p - b.p;
    let lo = d - ((a.p - a.lo).powi(2) + (b.hi - b.p).powi(2)).sqrt();
    let hi = d + ((a.hi - a.p).powi(2) + (b.p - b.lo).powi(2)).sqrt();
    Estimate { value: d, lo, hi }
}

pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() { f64::NAN } else { xs.iter().sum::<f64>() / xs.len() as f64 }
}

/// Sample variance (n − 1).
pub fn variance(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    let m = mean(xs);
    xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
}

/// The median (mean of the two middle values for an even count); `NaN` for none.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// The `q` quantile of sorted values by linear interpolation (numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = sorted.get(i + 1).copied().unwrap_or(sorted[i]);
    sorted[i] + frac * (next - sorted[i])
}

fn t_quantile(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(0.5 + LEVEL / 2.0))
}

/// The mean with Student's t interval: x̄ ± t(n−1)·s/√n. One value gives no interval.
pub fn mean_interval(xs: &[f64]) -> Estimate {
    let m = mean(xs);
    if xs.len() < 2 {
        return Estimate { value: m, lo: f64::NAN, hi: f64::NAN };
    }
    let half = t_quantile((xs.len() - 1) as f64) * (variance(xs) / xs.len() as f64).sqrt();
    Estimate { value: m, lo: m - half, hi: m + half }
}

/// A spread this small relative to the values is rounding noise of a constant, not variation.
const RELATIVE_ZERO: f64 = 1e-9;

fn scale(a: &[f64], b: &[f64]) -> f64 {
    mean(a).abs().max(mean(b).abs()).max(1.0)
}

/// Welch's unequal-variance t-test of mean(a) = mean(b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// mean(a) − mean(b) with its interval.
    pub diff: Estimate,
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    pub p: f64,
}

/// Welch's t-test (scipy's `ttest_ind(equal_var=False)`); `None` with fewer than 2 values on a
/// side or no variance at all.
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (va, vb) = (variance(a) / a.len() as f64, variance(b) / b.len() as f64);
    let se = (va + vb).sqrt();
    if !se.is_finite() || se <= RELATIVE_ZERO * scale(a, b) {
        return None;
    }
    let d = mean(a) - mean(b);
    let df =
        (va + vb).powi(2) / (va.powi(2) / (a.len() - 1) as f64 + vb.powi(2) / (b.len() - 1) as f64);
    let t = d / se;
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = (2.0 * dist.sf(t.abs())).min(1.0);
    let half = t_quantile(df) * se;
    Some(Welch { diff: Estimate { value: d, lo: d - half, hi: d + half }, t, df, p })
}

/// Hedges' g: the difference of means over the pooled standard deviation, with the
/// small-sample correction 1 − 3/(4(n₁+n₂) − 9).
pub fn hedges_g(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if na < 2.0 || nb < 2.0 {
        return f64::NAN;
    }
    let pooled = (((na - 1.0) * variance(a) + (nb - 1.0) * variance(b)) / (na + nb - 2.0)).sqrt();
    if !pooled.is_finite() || pooled <= RELATIVE_ZERO * scale(a, b) {
        return f64::NAN;
    }
    (mean(a) - mean(b)) / pooled * (1.0 - 3.0 / (4.0 * (na + nb) - 9.0))
}

/// Benjamini–Hochberg adjusted p-values (q-values), in the input's order: a test is a
/// discovery at false-discovery rate α when its q ≤ α. statsmodels' `multipletests(fdr_bh)`.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Calls needed for a rate's 95 % interval to be ±`margin`: ⌈z²·p(1−p)/margin²⌉, with p the
/// observed rate kept within [0.05, 0.95] (a rate of 0 or 1 from a few calls is not evidence of
/// a small variance). 385 calls for ±5 points at p = 0.5.
pub fn calls_for_margin(p: f64, margin: f64) -> u64 {
    let p = if p.is_finite() { p.clamp(0.05, 0.95) } else { 0.5 };
    let z = z(LEVEL);
    (z * z * p * (1.0 - p) / (margin * margin)).ceil() as u64
}

/// Calls needed per arm to detect p₁ ≠ p₂ with a two-sided 5 % test at 80 % power
/// (Fleiss' formula without continuity correction):
/// n = (z₁₋α/₂·√(2p̄(1−p̄)) + z₁₋β·√(p₁(1−p₁) + p₂(1−p₂)))² / (p₁ − p₂)².
/// `None` when the rates are equal.
pub fn calls_per_arm(p1: f64, p2: f64) -> Option<u64> {
    let d = p1 - p2;
    if d.abs() < 1e-9 || !d.is_finite() {
        return None;
    }
    let (za, zb) = (z(LEVEL), std_normal().inverse_cdf(0.8));
    let pb = (p1 + p2) / 2.0;
    let n = (za * (2.0 * pb * (1.0 - pb)).sqrt() + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt())
        .powi(2)
        / (d * d);
    Some(n.ceil() as u64)
}

#[cfg(test)]
mod tests {
    //! Reference values from scipy 1.x / statsmodels 0.14 (the calls are in each comment).
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // proportion_confint(k, n, method="wilson")
        for (k, n, lo, hi) in [
            (7, 12, 0.319_511_312_549_549_7, 0.806_739_686_341_243_5),
            (0, 10, 0.0, 0.277_532_799_862_889_26),
            (45, 50, 0.786_397_685_625_203_4, 0.956_524_235_068_109_5),
        ] {
            let r = wilson(k, n);
            assert!(close(r.lo, lo, 1e-9) && close(r.hi, hi, 1e-9), "{k}/{n}: {r:?}");
        }
        assert_eq!((wilson(0, 0).lo, wilson(0, 0).hi), (0.0, 1.0));
    }

    #[test]
    fn fisher_matches_scipy() {
        // scipy.stats.fisher_exact([[3, 9], [10, 2]]) and ([[8, 2], [1, 5]])
        assert!(close(fisher_exact(3, 9, 10, 2), 0.012_278_137_799_742_322, 1e-9));
        assert!(close(fisher_exact(8, 2, 1, 5), 0.034_965_034_965_034_975, 1e-9));
        assert_eq!(fisher_exact(0, 0, 0, 0), 1.0);
    }

    #[test]
    fn two_proportion_tests_match_statsmodels() {
        // proportions_ztest([60, 45], [100, 100]) -> (2.1239769762143657, 0.033672068856345855)
        let (z, p) = two_proportion_z(60, 100, 45, 100);
        assert!(
            close(z, 2.123_976_976_214_365_7, 1e-9) && close(p, 0.033_672_068_856_345_855, 1e-9)
        );
        // confint_proportions_2indep(60, 100, 45, 100, method="newcomb")
        let d = newcombe(60, 100, 45, 100);
        assert!(close(d.lo, 0.011_723_935_319_973_455, 1e-9), "{d:?}");
        assert!(close(d.hi, 0.280_448_521_010_763_8, 1e-9), "{d:?}");
        assert_eq!(proportions_p(1, 8, 4, 8).1, "fisher_exact", "expected counts 2.5 < 5");
        assert_eq!(proportions_p(60, 100, 45, 100).1, "two_proportion_z");
    }

    #[test]
    fn welch_and_mean_intervals_match_scipy() {
        let a = [71.2, 65.0, 80.5, 77.1, 69.9, 74.3, 81.0, 66.4];
        let b = [60.1, 72.3, 58.8, 63.5, 70.2, 61.9];
        // ttest_ind(a, b, equal_var=False): t 2.7930182073064693, p 0.016899675705433246,
        // df 11.453139016782131, confidence_interval() (1.8788769238337988, 15.537789742832887)
        let w = welch(&a, &b).unwrap();
        assert!(
            close(w.t, 2.793_018_207_306_469_3, 1e-9)
                && close(w.p, 0.016_899_675_705_433_246, 1e-7)
        );
        assert!(close(w.df, 11.453_139_016_782_131, 1e-9));
        assert!(
            close(w.diff.lo, 1.878_876_923_833_798_8, 1e-6)
                && close(w.diff.hi, 15.537_789_742_832_887, 1e-6)
        );
        // stats.t.interval(0.95, 7, loc=mean(a), scale=sem(a))
        let m = mean_interval(&a);
        assert!(
            close(m.lo, 68.090_517_795_012_36, 1e-6) && close(m.hi, 78.259_482_204_987_63, 1e-6)
        );
        // Cohen's d 1.4864729515289534 × (1 − 3/(4·14 − 9))
        assert!(close(hedges_g(&a, &b), 1.391_591_699_303_766, 1e-9));
        assert!(welch(&[1.0], &b).is_none());
        // A constant on both sides (summed in a different order) has no variance to test.
        let same = [206.954; 40];
        let noisy: Vec<f64> = (0..140).map(|i| 206.954 + f64::from(i % 2) * 1e-13).collect();
        assert!(welch(&same, &noisy).is_none() && hedges_g(&same, &noisy).is_nan());
    }

    #[test]
    fn benjamini_hochberg_matches_statsmodels() {
        // multipletests([0.01, 0.04, 0.03, 0.005, 0.2, 0.5], method="fdr_bh")[1]
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.2, 0.5]);
        for (got, want) in q.iter().zip([0.03, 0.06, 0.06, 0.03, 0.24, 0.5]) {
            assert!(close(*got, want, 1e-12), "{q:?}");
        }
    }

    #[test]
    fn sample_sizes_match_the_formulas_computed_with_scipy() {
        // norm.ppf(0.975)**2 * 0.25 / 0.05**2 = 384.1459 ; * 0.21 / 0.0025 = 322.6825
        assert_eq!(calls_for_margin(0.5, 0.05), 385);
        assert_eq!(calls_for_margin(0.3, 0.05), 323);
        // (norm.ppf(.975)*sqrt(2*.46*.54) + norm.ppf(.8)*sqrt(.4*.6+.52*.48))**2 / .12**2 = 269.604
        assert_eq!(calls_per_arm(0.40, 0.52), Some(270));
        assert_eq!(calls_per_arm(0.4, 0.4), None);
        assert!(close(z(0.95), 1.959_963_984_540_054, 1e-9));
    }
}
