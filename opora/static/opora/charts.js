// Charts: every [data-chart] element gets an Apache ECharts chart drawn from the
// JSON spec in <script type="application/json" id="{data-chart}">, both written
// by the {% chart %} tag (opora/core/templatetags/charts.py). ECharts (1 MB) is
// loaded on first need, from the element's data-echarts-src.
//
// The spec: {kind: "line" | "bar" | "stacked" | "hbar" | "histogram" | "donut",
//   title (the aria-label, not drawn), labels: [category, ...],
//   series: [{name, data: [number | null, ...], kind?: "line" | "bar",
//             dashed?: true (the previous period), axis?: 1 (the second y axis),
//             unit? (this series' own unit, overriding the chart's)}],
//   unit?: "" | "%" | "h" | "min", target?, target_label?, empty?,
//   height? (px, applied by the tag as the nearest chart-h-* class)}
//
// CSP (script-src 'self'; style-src 'self'): the SVG renderer is used. zrender
// patches its SVG through the CSSOM (element.style.cssText), which the CSP
// allows; what it forbids is style="..." in parsed markup. ECharts' own tooltip
// content is exactly that (an HTML string full of style attributes), so the
// tooltips here are built as DOM nodes with charts.css classes, their colours
// set through the CSSOM. SVG rather than canvas: crisp at any zoom and in print,
// lighter for dashboard-sized data, its text findable on the page, and checked
// violation-free by tests/e2e/test_charts.py (hover and htmx history included).
(function () {
  "use strict";

  const UNITS = { "%": "percent", h: "hour", min: "minute" };
  const FALLBACK = ["#2457d6", "#2a9d8f", "#e0a030", "#7c5cc4", "#d4644f", "#5b8def", "#1b7f4b", "#8a94a6"];
  const charts = new Map(); // [data-chart] element → its ECharts instance (null when empty)
  const formats = new Map();
  let loading = null;

  function lang() {
    return document.documentElement.lang || undefined;
  }

  // A value with its unit in the page's language: «1 234,5», «95 %», «4 ч», «12 мин».
  function formatter(unit) {
    const key = lang() + "|" + (unit || "");
    if (!formats.has(key)) {
      const options = { maximumFractionDigits: 1 };
      if (UNITS[unit]) Object.assign(options, { style: "unit", unit: UNITS[unit], unitDisplay: "short" });
      let number;
      try {
        number = new Intl.NumberFormat(lang(), options);
      } catch (e) {
        number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
      }
      const suffix = unit && !UNITS[unit] ? " " + unit : "";
      formats.set(key, function (value) {
        const n = Number(value);
        if (value === null || value === undefined || value === "" || Number.isNaN(n)) return "—";
        return number.format(n) + suffix;
      });
    }
    return formats.get(key);
  }

  function theme() {
    const css = getComputedStyle(document.documentElement);
    const read = function (name, fallback) {
      return css.getPropertyValue(name).trim() || fallback;
    };
    return {
      series: FALLBACK.map(function (colour, i) {
        return read("--chart-" + (i + 1), colour);
      }),
      previous: read("--chart-previous", "#a3abb9"),
      target: read("--chart-target", "#b42318"),
      grid: read("--chart-grid", "#eceef2"),
      text: read("--text", "#1d2330"),
      muted: read("--muted", "#5f6b7a"),
      line: read("--line", "#e2e5ea"),
      surface: read("--surface", "#fff"),
      font: getComputedStyle(document.body).fontFamily,
    };
  }

  function isEmpty(spec) {
    if (!spec.labels || !spec.labels.length) return true;
    return !(spec.series || []).some(function (series) {
      return series.data.some(function (value) {
        return Number(value);
      });
    });
  }

  function isolated(data) {
    const missing = function (i) {
      return data[i] === null || data[i] === undefined;
    };
    return data.some(function (_, i) {
      return !missing(i) && missing(i - 1) && missing(i + 1);
    });
  }

  // The tooltip as DOM nodes: ECharts would otherwise set an HTML string with
  // style attributes, which the CSP blocks.
  function tooltip(title, rows) {
    const box = document.createElement("div");
    box.className = "chart-tip";
    if (title) {
      const head = document.createElement("div");
      head.className = "chart-tip-title";
      head.textContent = title;
      box.appendChild(head);
    }
    rows.forEach(function (row) {
      const line = document.createElement("div");
      line.className = "chart-tip-row";
      const dot = document.createElement("span");
      dot.className = "chart-tip-dot" + (row.dashed ? " is-dashed" : "");
      dot.style.backgroundColor = row.color;
      const name = document.createElement("span");
      name.className = "chart-tip-name";
      name.textContent = row.name;
      const value = document.createElement("span");
      value.className = "chart-tip-value";
      value.textContent = row.value;
      line.append(dot, name, value);
      box.appendChild(line);
    });
    return box;
  }

  function tooltipBox(t) {
    return {
      backgroundColor: t.surface,
      borderColor: t.line,
      borderWidth: 1,
      padding: [8, 10],
      confine: true,
      textStyle: { color: t.text, fontFamily: t.font },
      extraCssText: "box-shadow: 0 4px 12px rgba(16,24,40,.10); border-radius: 8px;",
    };
  }

  // A round number just above the target, so the target line is never off the chart.
  function above(target, unit) {
    const step = Math.pow(10, Math.floor(Math.log10(Math.abs(target) || 1))) / 2;
    const top = Math.ceil((target * 1.0001) / step) * step;
    return unit === "%" && target <= 100 ? Math.min(top, 100) : top;
  }

  function donut(spec, t) {
    const series = spec.series[0];
    const value = formatter(series.unit !== undefined ? series.unit : spec.unit);
    const share = new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 1 });
    return {
      tooltip: Object.assign(tooltipBox(t), {
        trigger: "item",
        formatter: function (p) {
          return tooltip("", [{ color: p.color, name: p.name, value: value(p.value) + " · " + share.format(p.percent / 100) }]);
        },
      }),
      legend: { show: true, type: "scroll", bottom: 0, icon: "circle", itemWidth: 10, itemHeight: 10, itemGap: 14, textStyle: { color: t.text } },
      series: [
        {
          name: series.name,
          type: "pie",
          radius: ["48%", "74%"],
          center: ["50%", "45%"],
          avoidLabelOverlap: false,
          itemStyle: { borderRadius: 3, borderColor: t.surface, borderWidth: 2 },
          label: { show: false, position: "center" },
          labelLine: { show: false },
          emphasis: {
            scale: false,
            label: {
              show: true,
              formatter: function (p) {
                const plain = function (text) {
                  return String(text).replace(/[{}|]/g, ""); // rich-text markup
                };
                return "{v|" + plain(value(p.value)) + "}\n{n|" + plain(p.name) + "}";
              },
              rich: {
                v: { fontSize: 20, fontWeight: 700, color: t.text, lineHeight: 26 },
                n: { fontSize: 12, color: t.muted },
              },
            },
          },
          data: spec.labels.map(function (name, i) {
            return { name: name, value: series.data[i] };
          }),
        },
      ],
    };
  }

  function cartesian(spec, t) {
    const kind = spec.kind;
    const horizontal = kind === "hbar";
    const list = spec.series;
    const unitOf = function (series) {
      return series.unit !== undefined ? series.unit : spec.unit;
    };
    const axisOf = function (series) {
      return horizontal ? 0 : series.axis || 0;
    };
    const typeOf = function (series) {
      return series.kind || (kind === "line" ? "line" : "bar");
    };
    const hasBars = list.some(function (s) {
      return typeOf(s) === "bar";
    });
    const axes = list.some(function (s) {
      return axisOf(s) === 1;
    })
      ? [0, 1]
      : [0];
    let colour = 0;

    const category = {
      type: "category",
      data: spec.labels,
      boundaryGap: hasBars,
      inverse: horizontal,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: t.line } },
      // A dozen categories or fewer (ages, types, operators) all keep their names.
      axisLabel: Object.assign(
        { color: t.muted },
        spec.labels.length <= 12 ? { interval: 0 } : { hideOverlap: true }
      ),
    };
    const values = axes.map(function (index) {
      const first = list.find(function (s) {
        return axisOf(s) === index;
      });
      const unit = unitOf(first);
      const axis = {
        type: "value",
        axisLabel: { color: t.muted, formatter: formatter(unit) },
        splitLine: { show: index === 0, lineStyle: { color: t.grid } },
        alignTicks: index === 1,
      };
      if (index === 0 && typeof spec.target === "number") {
        let top = 0;
        spec.labels.forEach(function (_, i) {
          let stack = 0;
          list.forEach(function (s) {
            const v = Number(s.data[i]) || 0;
            if (axisOf(s) !== 0) return;
            if (kind === "stacked" && !s.dashed && typeOf(s) === "bar") stack += v;
            else top = Math.max(top, v);
          });
          top = Math.max(top, stack);
        });
        if (spec.target >= top) axis.max = above(spec.target, unit);
      }
      return axis;
    });

    const series = list.map(function (s, i) {
      const type = typeOf(s);
      const color = s.dashed ? t.previous : t.series[colour++ % t.series.length];
      const out = {
        name: s.name,
        type: type,
        data: s.data,
        itemStyle: { color: color },
        emphasis: { disabled: true },
      };
      if (horizontal) out.xAxisIndex = 0;
      else out.yAxisIndex = axisOf(s);
      if (type === "line") {
        out.symbol = "circle";
        out.symbolSize = 6;
        // Dots on short series, and always where a value stands alone between
        // gaps (a forecast for today), since no line is drawn to it.
        out.showSymbol = spec.labels.length <= 16 || isolated(s.data);
        out.lineStyle = { color: color, width: s.dashed ? 1.5 : 2, type: s.dashed ? [5, 4] : "solid" };
        if (s.dashed) out.z = 1;
      } else {
        if (kind === "stacked" && !s.dashed) out.stack = "total";
        if (kind === "histogram") {
          out.barCategoryGap = "0%";
          out.itemStyle.borderColor = t.surface;
          out.itemStyle.borderWidth = 1;
        } else {
          out.barMaxWidth = 28;
          out.barCategoryGap = "35%";
          out.itemStyle.borderRadius = kind === "stacked" ? 0 : horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0];
        }
        if (s.dashed) out.itemStyle.opacity = 0.7;
      }
      if (i === 0 && typeof spec.target === "number") {
        const at = horizontal ? { xAxis: spec.target } : { yAxis: spec.target };
        out.markLine = {
          silent: true,
          symbol: "none",
          lineStyle: { color: t.target, type: [4, 4], width: 1.5 },
          label: {
            // A function, so that braces in the text are not read as a template.
            formatter: function () {
              return spec.target_label || formatter(unitOf(s))(spec.target);
            },
            position: horizontal ? "end" : "insideEndTop",
            color: t.target,
            fontSize: 11,
            // Readable over the bars it crosses.
            backgroundColor: t.surface,
            padding: [2, 5],
            borderRadius: 3,
          },
          data: [at],
        };
      }
      return out;
    });

    const byName = new Map(
      list.map(function (s) {
        return [s.name, s];
      })
    );
    const legend = list.length > 1;
    return {
      grid: { left: 4, right: axes.length > 1 ? 4 : 16, top: legend ? 40 : 16, bottom: 4 },
      legend: { show: legend, top: 0, left: 0, type: "scroll", itemGap: 16, itemWidth: 18, itemHeight: 10, textStyle: { color: t.text } },
      tooltip: Object.assign(tooltipBox(t), {
        trigger: "axis",
        axisPointer: { type: hasBars ? "shadow" : "line", lineStyle: { color: t.line }, shadowStyle: { color: "rgba(36,87,214,.06)" } },
        formatter: function (params) {
          const points = Array.isArray(params) ? params : [params];
          return tooltip(
            points.length ? points[0].axisValueLabel : "",
            points.map(function (p) {
              const s = byName.get(p.seriesName) || {};
              return { color: p.color, name: p.seriesName, value: formatter(unitOf(s))(p.value), dashed: s.dashed };
            })
          );
        },
      }),
      xAxis: horizontal ? values : category,
      yAxis: horizontal ? category : values,
      series: series,
    };
  }

  function option(spec) {
    const t = theme();
    const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const base = {
      animation: !reduced,
      animationDuration: 400,
      color: t.series,
      aria: { enabled: false }, // the element carries role="img" and the title
      textStyle: { fontFamily: t.font, color: t.muted, fontSize: 12 },
    };
    return Object.assign(base, spec.kind === "donut" ? donut(spec, t) : cartesian(spec, t));
  }

  function showEmpty(el, spec) {
    const p = document.createElement("p");
    p.className = "chart-empty";
    p.textContent = spec.empty || "";
    el.removeAttribute("role"); // the text itself is what a screen reader should read
    el.replaceChildren(p);
  }

  // ECharts draws into a child of the [data-chart] element, never into the
  // element itself: init writes inline styles on its container, and Chrome keeps
  // an element's inline style even after removeAttribute("style"), serialising
  // it as style="" into clones such as htmx's history snapshot, which the CSP
  // then blocks on «back». A child is simply removed when the chart is disposed.
  function draw(echarts, el) {
    if (charts.has(el) || !el.isConnected) return;
    const source = document.getElementById(el.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    el.dataset.chartRendered = "";
    if (isEmpty(spec)) {
      charts.set(el, null);
      showEmpty(el, spec);
      return;
    }
    const host = document.createElement("div");
    host.className = "chart-host";
    el.replaceChildren(host);
    const chart = echarts.init(host, null, { renderer: "svg", locale: "EN" });
    charts.set(el, chart);
    chart.setOption(option(spec));
  }

  function load(src) {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        const script = document.createElement("script");
        script.src = src;
        script.async = true;
        script.onload = function () {
          resolve(window.echarts);
        };
        script.onerror = function () {
          loading = null;
          script.remove();
          reject(new Error("charts: could not load " + src));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function scan() {
    const pending = Array.prototype.filter.call(document.querySelectorAll("[data-chart]"), function (el) {
      return !charts.has(el) && !("chartRendered" in el.dataset);
    });
    if (!pending.length) return;
    load(pending[0].dataset.echartsSrc).then(
      function (echarts) {
        pending.forEach(function (el) {
          draw(echarts, el);
        });
      },
      function (error) {
        console.error(error);
      }
    );
  }

  function dispose(el) {
    if (!charts.has(el)) return;
    const chart = charts.get(el);
    charts.delete(el);
    if (chart) chart.dispose();
    el.replaceChildren();
    delete el.dataset.chartRendered;
  }

  let resizing = null;
  function resize() {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      charts.forEach(function (chart, el) {
        if (!el.isConnected) dispose(el);
        else if (chart) chart.resize();
      });
    }, 150);
  }

  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
  document.addEventListener("htmx:historyRestore", scan);
  // htmx fires this for the swapped-out element and each of its descendants.
  document.addEventListener("htmx:beforeCleanupElement", function (event) {
    dispose(event.target);
  });
  // The history snapshot is the page's markup: drawn SVG in it would come back
  // as parsed style attributes (blocked by the CSP) and without a live chart.
  // Charts still on the page after the swap are drawn again on afterSettle.
  document.addEventListener("htmx:beforeHistorySave", function (event) {
    const root = event.detail.historyElt || document.body;
    charts.forEach(function (_, el) {
      if (root.contains(el)) dispose(el);
    });
  });
  window.addEventListener("resize", resize);
})();
