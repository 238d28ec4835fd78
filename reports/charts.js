// Draws the report's charts as inline SVG from the JSON embedded in the page; no libraries,
// so the file opens offline. Each mark (point or bar) is one data row and has class "mark".
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#2563eb", "#ea580c", "#059669", "#9333ea", "#0891b2", "#ca8a04"];
  const HIGHLIGHT = "#dc2626";
  const WIDTH = 960;
  const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, attributes) {
    const node = element("text", Object.assign({ x: x, y: y }, attributes), parent);
    node.textContent = content;
    return node;
  }

  function tooltip(mark, content) {
    element("title", {}, mark).textContent = content;
  }

  // Axis ticks as short as they can be; values (tooltips, labels) as the figures are written.
  function formatter(kind, precise) {
    if (kind === "percent") return (value) => (value * 100).toFixed(precise ? 1 : 0) + "%";
    const decimals = kind === "days" ? 1 : 2;
    const plain = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: precise ? decimals : 0,
      maximumFractionDigits: decimals,
    });
    if (kind === "days" && precise) return (value) => plain.format(value) + " days";
    return (value) => plain.format(value);
  }

  // About `count` round steps covering [low, high]: 0, 250, 500, ...
  function ticks(low, high, count) {
    if (low === high) high = low + 1;
    const rough = (high - low) / count;
    const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    const ratio = rough / magnitude;
    const step = magnitude * (ratio >= 7.5 ? 10 : ratio >= 3.5 ? 5 : ratio >= 1.5 ? 2 : 1);
    const values = [];
    for (let value = Math.floor(low / step) * step; value < high + step; value += step) {
      values.push(Number(value.toFixed(10)));
      if (value >= high) break;
    }
    return values;
  }

  function scale(domainLow, domainHigh, rangeLow, rangeHigh) {
    const span = domainHigh - domainLow || 1;
    return (value) => rangeLow + ((value - domainLow) / span) * (rangeHigh - rangeLow);
  }

  function legend(container, entries) {
    const list = document.createElement("ul");
    list.className = "legend";
    for (const entry of entries) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = entry.colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(entry.name));
      list.appendChild(item);
    }
    container.appendChild(list);
  }

  function lineChart(container, spec) {
    const margin = { top: 16, right: 24, bottom: 56, left: 88 };
    const height = 340;
    const svg = element("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img" }, container);
    element("desc", {}, svg).textContent = spec.title;
    const time = (day) => Date.parse(day + "T00:00:00Z");
    const points = spec.series.flatMap((series) => series.points);
    const days = points.map((point) => time(point[0]));
    const values = points.map((point) => point[1]);
    const yTicks = ticks(Math.min(0, ...values), Math.max(0, ...values), 5);
    const firstDay = Math.min(...days);
    const lastDay = Math.max(...days);
    const x = scale(firstDay, lastDay === firstDay ? firstDay + 86400000 : lastDay,
      margin.left, WIDTH - margin.right);
    const y = scale(yTicks[0], yTicks[yTicks.length - 1], height - margin.bottom, margin.top);
    const tickFormat = formatter(spec.format, false);
    const valueFormat = formatter(spec.format, true);

    for (const value of yTicks) {
      element("line", { class: value === 0 ? "axis" : "grid", x1: margin.left,
        x2: WIDTH - margin.right, y1: y(value), y2: y(value) }, svg);
      text(svg, margin.left - 8, y(value) + 4, tickFormat(value), { class: "tick", "text-anchor": "end" });
    }
    const dayCount = Math.round((lastDay - firstDay) / 86400000) + 1;
    const every = Math.max(1, Math.ceil(dayCount / 8));
    for (let n = 0; n < dayCount; n += every) {
      const day = firstDay + n * 86400000;
      element("line", { class: "axis", x1: x(day), x2: x(day), y1: height - margin.bottom,
        y2: height - margin.bottom + 5 }, svg);
      text(svg, x(day), height - margin.bottom + 18, DAY.format(new Date(day)),
        { class: "tick", "text-anchor": "middle" });
    }
    text(svg, (margin.left + WIDTH - margin.right) / 2, height - 12, spec.x_label,
      { class: "axis-label", "text-anchor": "middle" });
    text(svg, 16, (margin.top + height - margin.bottom) / 2, spec.y_label, {
      class: "axis-label", "text-anchor": "middle",
      transform: `rotate(-90 16 ${(margin.top + height - margin.bottom) / 2})`,
    });

    spec.series.forEach((series, index) => {
      const colour = COLOURS[index % COLOURS.length];
      // a day without a row moved no money: the line passes through zero there, and only
      // the days with a row get a point
      const byDay = new Map(series.points.map((point) => [time(point[0]), point[1]]));
      const path = [];
      for (let n = 0; n < dayCount; n += 1) {
        const day = firstDay + n * 86400000;
        path.push(`${x(day)},${y(byDay.get(day) || 0)}`);
      }
      element("polyline", { points: path.join(" "), fill: "none", stroke: colour,
        "stroke-width": 1.5 }, svg);
      for (const point of series.points) {
        const mark = element("circle", { class: "mark", cx: x(time(point[0])), cy: y(point[1]),
          r: 3, fill: colour }, svg);
        tooltip(mark, `${point[0]} · ${series.name}: ${valueFormat(point[1])}`);
      }
    });
    legend(container, spec.series.map((series, index) => ({
      name: series.name, colour: COLOURS[index % COLOURS.length] })));
  }

  // Horizontal bars, one group per category, one bar per series; long names fit on the left.
  function barChart(container, spec) {
    const longest = Math.max(...spec.categories.map((name) => name.length));
    // room on the right for the ROAS notes, or for the value printed after a lone series' bars
    const margin = { top: 8, right: spec.annotations ? 120 : spec.series.length === 1 ? 72 : 32,
      bottom: 52,
      left: Math.min(320, 16 + longest * 7) };
    const bar = 14;
    const band = spec.series.length * bar + 10;
    const height = margin.top + spec.categories.length * band + margin.bottom;
    const svg = element("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img" }, container);
    element("desc", {}, svg).textContent = spec.title;
    const values = spec.series.flatMap((series) => series.values).filter((v) => v !== null);
    const xTicks = ticks(Math.min(0, ...values), Math.max(0, ...values), 6);
    const x = scale(xTicks[0], xTicks[xTicks.length - 1], margin.left, WIDTH - margin.right);
    const tickFormat = formatter(spec.format, false);
    const valueFormat = formatter(spec.format, true);
    const bottom = height - margin.bottom;

    for (const value of xTicks) {
      element("line", { class: value === 0 ? "axis" : "grid", x1: x(value), x2: x(value),
        y1: margin.top, y2: bottom }, svg);
      text(svg, x(value), bottom + 18, tickFormat(value), { class: "tick", "text-anchor": "middle" });
    }
    text(svg, (margin.left + WIDTH - margin.right) / 2, height - 12, spec.x_label,
      { class: "axis-label", "text-anchor": "middle" });

    spec.categories.forEach((category, row) => {
      const top = margin.top + row * band + 5;
      const label = text(svg, margin.left - 8, top + (band - 10) / 2 + 4,
        category.length > 44 ? category.slice(0, 43) + "…" : category,
        { class: "category", "text-anchor": "end" });
      tooltip(label, category);
      spec.series.forEach((series, index) => {
        const value = series.values[row];
        if (value === null) return;
        const flagged = spec.highlight.length > 0 && spec.highlight[row];
        const colour = flagged ? HIGHLIGHT : COLOURS[index % COLOURS.length];
        const mark = element("rect", { class: "mark", x: Math.min(x(0), x(value)),
          y: top + index * bar, width: Math.max(1, Math.abs(x(value) - x(0))), height: bar - 2,
          fill: colour }, svg);
        tooltip(mark, `${category} · ${series.name}: ${valueFormat(value)}`);
        if (spec.series.length === 1) {
          text(svg, Math.max(x(0), x(value)) + 6, top + index * bar + bar - 4, valueFormat(value),
            { class: "tick" });
        }
      });
      if (spec.annotations) {
        text(svg, WIDTH - margin.right + 8, top + (band - 10) / 2 + 4, spec.annotations[row],
          { class: "annotation" });
      }
    });
    const entries = spec.series.map((series, index) => ({
      name: series.name, colour: COLOURS[index % COLOURS.length] }));
    if (spec.highlight.some(Boolean)) entries.push({ name: spec.highlight_name, colour: HIGHLIGHT });
    legend(container, entries);
  }

  const DRAW = { line: lineChart, bars: barChart };
  const specs = JSON.parse(document.getElementById("chart-data").textContent);
  let drawn = 0;
  for (const figure of document.querySelectorAll("[data-chart]")) {
    const spec = specs[figure.dataset.chart];
    try {
      DRAW[spec.kind](figure.querySelector(".plot"), spec);
      figure.dataset.marks = String(figure.querySelectorAll(".mark").length);
      drawn += 1;
    } catch (error) {
      // one broken chart must not stop the others; the page records why (see the head)
      window.reportError(error);
    }
  }
  document.documentElement.dataset.chartsDrawn = String(drawn);
})();
