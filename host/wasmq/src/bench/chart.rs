//! The results chart (`docs/bench.png`): each compared arm's throughput as a ratio to its
//! same-run baseline (median bar, min–max whisker, goal tick), on a log scale.

use std::path::Path;

use anyhow::{Context, anyhow};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::report::Arm;

/// Where a TrueType font is looked for (plotters draws text with ab_glyph, not system fontconfig);
/// `WASMQ_BENCH_FONT` wins.
const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

fn register_font() -> anyhow::Result<()> {
    let env = std::env::var("WASMQ_BENCH_FONT").ok();
    let path = env
        .iter()
        .map(String::as_str)
        .chain(FONTS.iter().copied())
        .find(|p| Path::new(p).is_file())
        .context("no TrueType font found for the chart: set WASMQ_BENCH_FONT=/path/to/font.ttf")?;
    let bytes = std::fs::read(path).with_context(|| format!("reading font {path}"))?;
    // plotters keeps registered fonts for the life of the process.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| anyhow!("{path} is not a usable font"))
}

/// Draws the chart of the arms that have a baseline.
pub fn draw(arms: &[Arm], png: &Path) -> anyhow::Result<()> {
    register_font()?;
    let bars: Vec<&Arm> = arms.iter().filter(|a| a.ratio.is_some()).collect();
    anyhow::ensure!(!bars.is_empty(), "no arm with a baseline to chart");
    let names: Vec<String> = bars
        .iter()
        .map(|a| {
            format!(
                "{} / {} vs {}",
                a.scenario,
                a.arm,
                a.baseline_of.as_deref().unwrap_or("")
            )
        })
        .collect();
    let mut lo = 0.5f64;
    let mut hi = 2.0f64;
    for a in &bars {
        if let Some(r) = a.ratio {
            lo = lo.min(r.1 * 0.8);
            hi = hi.max(r.2 * 1.25);
        }
        if let Some(g) = a.first.goal_min_ratio {
            lo = lo.min(g * 0.8);
            hi = hi.max(g * 1.25);
        }
    }
    let height = 120 + 46 * bars.len() as u32;
    let root = BitMapBackend::new(png, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e:?}"))?;
    let n = bars.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "wasmq: throughput / same-run baseline (bar = median, line = min–max, red = goal)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(330)
        .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())
        .map_err(|e| anyhow!("{e:?}"))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("ratio (log scale; 1 = as fast as the baseline)")
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    for (i, a) in bars.iter().enumerate() {
        let Some(r) = a.ratio else { continue };
        let met = a.first.goal_min_ratio.is_none_or(|g| r.0 >= g);
        let color = if met {
            RGBColor(70, 130, 180)
        } else {
            RGBColor(230, 150, 40)
        };
        let mut bar = Rectangle::new(
            [
                (lo, SegmentValue::Exact(i)),
                (r.0, SegmentValue::Exact(i + 1)),
            ],
            color.filled(),
        );
        bar.set_margin(8, 8, 0, 0);
        chart
            .draw_series(std::iter::once(bar))
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![
                    (r.1, SegmentValue::CenterOf(i)),
                    (r.2, SegmentValue::CenterOf(i)),
                ],
                BLACK.stroke_width(2),
            )))
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{:.2}×", r.0),
                (r.2 * 1.04, SegmentValue::CenterOf(i)),
                ("sans-serif", 14),
            )))
            .map_err(|e| anyhow!("{e:?}"))?;
        if let Some(g) = a.first.goal_min_ratio {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(g, SegmentValue::Exact(i)), (g, SegmentValue::Exact(i + 1))],
                    RED.stroke_width(3),
                )))
                .map_err(|e| anyhow!("{e:?}"))?;
        }
    }
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(1.0, SegmentValue::Exact(0)), (1.0, SegmentValue::Exact(n))],
            BLACK.mix(0.4).stroke_width(1),
        )))
        .map_err(|e| anyhow!("{e:?}"))?;
    root.present()
        .with_context(|| format!("writing {}", png.display()))?;
    Ok(())
}
