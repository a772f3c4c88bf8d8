//! A metric's history as a small line chart (server-rendered SVG, no script), the way a run's
//! page shows how training went.

use leptos::prelude::*;
use quiver::services::tracking::MetricHistory;

use super::training_run::metric_value;

const WIDTH: f64 = 280.0;
const HEIGHT: f64 = 80.0;
const PAD: f64 = 4.0;

/// The polyline of `points` scaled into the chart: steps across, values up.
pub fn polyline(points: &[(i64, f64)]) -> String {
    let (min_step, max_step) = points.iter().fold((i64::MAX, i64::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let (min_v, max_v) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let x = |s: i64| {
        if max_step == min_step {
            WIDTH / 2.0
        } else {
            PAD + (s - min_step) as f64 / (max_step - min_step) as f64 * (WIDTH - 2.0 * PAD)
        }
    };
    let y = |v: f64| {
        if max_v <= min_v { HEIGHT / 2.0 } else { HEIGHT - PAD - (v - min_v) / (max_v - min_v) * (HEIGHT - 2.0 * PAD) }
    };
    points.iter().map(|&(s, v)| format!("{:.1},{:.1}", x(s), y(v))).collect::<Vec<_>>().join(" ")
}

#[component]
pub fn MetricChart(history: MetricHistory) -> impl IntoView {
    let (first, last) = (history.points[0], history.points[history.points.len() - 1]);
    let (min, max) = history.points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let label = format!(
        "{}: {} points from step {} to {}, first {}, last {}, lowest {}, highest {}",
        history.key,
        history.logged,
        first.0,
        last.0,
        metric_value(first.1),
        metric_value(last.1),
        metric_value(min),
        metric_value(max)
    );
    let thinned = (history.logged > history.points.len())
        .then(|| format!(" · {} of {} points drawn", history.points.len(), history.logged));
    view! {
        <figure class="card metric-chart" data-testid=format!("metric-chart-{}", history.key)>
            <figcaption>
                <strong>{history.key.clone()}</strong>
                <span class="muted small">{format!(" last {} at step {}", metric_value(last.1), last.0)}{thinned}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label preserveAspectRatio="none">
                <polyline points=polyline(&history.points) fill="none" stroke="currentColor" stroke-width="1.5"
                    vector-effect="non-scaling-stroke"/>
            </svg>
            <div class="muted small chart-range">
                <span>{format!("step {}", first.0)}</span>
                <span>{format!("{} – {}", metric_value(min), metric_value(max))}</span>
                <span>{format!("step {}", last.0)}</span>
            </div>
        </figure>
    }
}

/// The charts of every metric logged more than once, or nothing.
#[component]
pub fn MetricCharts(histories: Vec<MetricHistory>) -> impl IntoView {
    (!histories.is_empty()).then(|| {
        view! {
            <h2>"Metric history"</h2>
            <div class="metric-charts">
                {histories.into_iter().map(|history| view! { <MetricChart history/> }).collect_view()}
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_across_and_values_up() {
        assert_eq!(polyline(&[(0, 1.0), (10, 0.0)]), "4.0,4.0 276.0,76.0");
        // One step or one value: drawn through the middle rather than divided by zero.
        assert_eq!(polyline(&[(3, 0.5), (3, 0.5)]), "140.0,40.0 140.0,40.0");
        assert_eq!(polyline(&[(0, 2.0), (4, 2.0)]), "4.0,40.0 276.0,40.0");
    }
}
